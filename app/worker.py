"""The worker: fires due escalation steps, sends due notifications and passes updates on to the
ticketing system. Holds no state of its own;
everything it acts on is a row, so a restart, a deploy or a crash loses nothing."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.adapters.gateways import Gateway
from app.calls import spool, stuck
from app.calls.menu import VoiceMenu
from app.calls.script import Flow
from app.calls.turn import LineConfig
from app.clock import Clock
from app.incidents import followups
from app.incidents.followups import FollowUpPolicy
from app.ops import health
from app.outbox import mail_sending, sending
from app.outbox.mail import Mailer
from app.outbox.policy import CALLERS_NEWS, DEFAULT_POLICIES, MAIL, MESSAGES, RetryPolicy
from app.paging import broadcasts, delivery, escalation, gateway_health, wakeup
from app.paging.delivery import CallbackUrls
from app.phones import DEFAULT_CALLBACK_POLICY, CallbackPolicy
from app.tickets.sender import TicketSender

log = logging.getLogger(__name__)
# The pages' lane waits this long at most between looks when no NOTIFY comes (the main loop
# sends pages too, so this is only a backstop).
PAGE_LANE_WAIT = 5.0


@dataclass
class PassResult:
    # Escalation steps, follow-ups (reminders, caller counts), and incidents a sweep opened.
    steps_fired: int = 0
    sent: int = 0  # SMS, calls and e-mail

    @property
    def busy(self) -> bool:
        return bool(self.steps_fired or self.sent)


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        gateway: Gateway,
        urls: CallbackUrls,
        followup_policy: FollowUpPolicy,
        mailer: Mailer,
        batch: int = 100,
        spool: Path | None = None,
        callback: CallbackPolicy = DEFAULT_CALLBACK_POLICY,
        lease: dt.timedelta = delivery.CLAIM_LEASE,
        menu: tuple[dict[str, Flow], LineConfig] | None = None,
        sweep_every: dt.timedelta = dt.timedelta(seconds=1),
        listen: bool = True,
        tickets: TicketSender | None = None,
        policies: Mapping[str, RetryPolicy] = DEFAULT_POLICIES,
        sends_at_once: int = 1,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.gateway = gateway
        self.urls = urls
        self.followup_policy = followup_policy
        self.mailer = mailer
        # The outbox's kinds this worker sends, each by its own retry policy.
        self.policies = policies
        self.mail = mail_sending.kind(mailer)
        self.batch = batch
        self.spool = spool
        self.callback = callback
        self.lease = lease
        # The caller's script and line settings, to file calls that ended without a webhook.
        self.menu = menu
        self.stopping = threading.Event()
        # Set while the main loop waits between idle passes: it has caught up with what was due.
        self.idle = threading.Event()
        self.name = health.worker_name()
        # The sweeps (voicemail kept on disk, calls that ended unseen, the gateway's health,
        # reminders) run once per interval; pages and e-mail on every pass.
        self.sweep_every = sweep_every
        # LISTEN for due pages on PostgreSQL (off behind a transaction-pooling proxy).
        self.listen = listen
        self._last_sweep: dt.datetime | None = None
        # The ticketing system is served by a thread of its own: a slow or dead one never
        # holds up a page.
        self.tickets = tickets
        # Messages at the gateway at once: the main loop's, and the pages' lane's own, so a page
        # never waits for a thread behind callers' receipts.
        self.senders = delivery.Senders(sends_at_once)
        self.page_senders = delivery.Senders(sends_at_once)

    def run_once(self) -> PassResult:
        """Everything due now, in batches, until nothing is left."""
        total = PassResult()
        while not self.stopping.is_set():
            result = self.one_pass()
            total.steps_fired += result.steps_fired
            total.sent += result.sent
            # Sending can queue more that is due at once (a failover); stop when a pass is idle.
            if not result.busy:
                break
        return total

    def one_pass(self) -> PassResult:
        """Each stage commits its own work: one that fails (a poison row, a full disk) is rolled
        back and logged, the others still run, and the heartbeat is written either way. One
        session serves the whole pass, so an idle pass costs one connection checkout."""
        result = PassResult()
        now = self.clock.now()
        sweep = self._last_sweep is None or now - self._last_sweep >= self.sweep_every
        # Pages go right after the escalation that makes them (the gateway's health first: a
        # failing gateway holds the chains back); a page woken by a NOTIFY does not wait for the
        # sweeps. Whatever a sweep queues is sent by the next pass.
        stages: list[tuple[str, Callable[[Session], PassResult]]] = [
            *([("gateway health", self._hold_if_gateway_failing)] if sweep else []),
            ("escalation", self._escalate),
            # News for every caller becomes their texts here, so they go in this same pass.
            ("callers' news", self._tell_callers),
            ("pages and texts", self._send),
            *(
                [
                    ("voicemail spool", self._spool),
                    ("calls without an end", self._sweep_calls),
                    ("follow-ups", self._follow_up),
                ]
                if sweep
                else []
            ),
            ("e-mail", self._mail),
        ]
        if sweep:
            self._last_sweep = now
        with self.sessions() as session:
            for name, stage in stages:
                try:
                    done = stage(session)
                except Exception:
                    session.rollback()
                    log.exception("worker: %s failed this pass; the rest go on", name)
                    continue
                result.steps_fired += done.steps_fired
                result.sent += done.sent
            health.beat(session, self.clock.now(), self.name)
        return result

    def _spool(self, session: Session) -> PassResult:
        if self.spool is None:
            return PassResult()
        # Voicemail kept on disk while the database was down becomes incidents; their pages
        # go in the next pass.
        imported = spool.import_spooled(session, self.clock.now(), self.spool, self.callback)
        return PassResult(steps_fired=imported)

    def _sweep_calls(self, session: Session) -> PassResult:
        if self.menu is None:
            return PassResult()
        flows, line = self.menu
        swept = stuck.sweep_stuck(
            VoiceMenu(session, self.clock, flows, line), self.clock.now(), self.batch
        )
        return PassResult(steps_fired=swept)

    def _hold_if_gateway_failing(self, session: Session) -> PassResult:
        gateway_health.hold_and_alert(session, self.clock.now())
        return PassResult()

    def _escalate(self, session: Session) -> PassResult:
        return PassResult(steps_fired=escalation.advance_due(session, self.clock.now(), self.batch))

    def _follow_up(self, session: Session) -> PassResult:
        now = self.clock.now()
        return PassResult(
            steps_fired=followups.run_due(session, now, self.followup_policy, self.batch)
        )

    def _tell_callers(self, session: Session) -> PassResult:
        told = sending.send_due(
            session,
            self.clock,
            broadcasts.KIND,
            self.policies[CALLERS_NEWS],
            self.batch,
            self.lease,
        )
        return PassResult(steps_fired=told)

    def _send(self, session: Session, urgent_only: bool = False) -> PassResult:
        sent = delivery.send_due(
            session,
            self.clock,
            self.gateway,
            self.urls,
            self.batch,
            self.lease,
            urgent_only,
            self.policies[MESSAGES],
            self.page_senders if urgent_only else self.senders,
        )
        return PassResult(sent=sent)

    def _mail(self, session: Session) -> PassResult:
        sent = sending.send_due(
            session, self.clock, self.mail, self.policies[MAIL], self.batch, self.lease
        )
        return PassResult(sent=sent)

    def send_pages(self) -> int:
        """Send due pages, put-through calls and joint-call legs alone; how many were tried."""
        with self.sessions() as session:
            return self._send(session, urgent_only=True).sent

    def send_tickets(self) -> int:
        """Pass due ticket updates to the ticketing system; how many were tried."""
        if self.tickets is None:
            return 0
        with self.sessions() as session:
            return self.tickets.send_due(session)

    def _lane(
        self, what: str, send: Callable[[], int], wait: Callable[[float], object], seconds: float
    ) -> None:
        """A thread of its own beside the main loop: send what is due, wait when nothing was."""
        while not self.stopping.is_set():
            try:
                tried = send()
            except Exception:
                log.exception("%s pass failed; trying again", what)
                tried = 0
            if not tried:
                wait(seconds)

    def _idle_wait(self, poll_seconds: float) -> float:
        try:
            with self.sessions() as session:
                return wakeup.seconds_to_next(session, self.clock.now(), poll_seconds)
        except Exception:
            log.exception("worker: cannot tell when the next step is due; polling")
            return poll_seconds

    def run_forever(self, poll_seconds: float) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())
        self.serve(poll_seconds)

    def serve(self, poll_seconds: float) -> None:
        """Pass after pass until stopped; between idle passes, wait for a page to fall due."""
        engine = self.sessions.kw["bind"]
        waiter = wakeup.Waiter(engine, self.stopping, listen=self.listen)
        waiter.start()
        tickets = threading.Thread(
            target=self._lane,
            args=("ticket", self.send_tickets, self.stopping.wait, poll_seconds),
            name="tickets",
            daemon=True,
        )
        if self.tickets is not None:
            tickets.start()
        # Pages have a lane of their own too: woken by the NOTIFY of the transaction that queued
        # them, they go at once even while the main loop is inside a receipt at a slow gateway,
        # or sweeping (both claim with SKIP LOCKED, so a row goes out once). Only where the
        # database wakes it: when polling, the main loop sends pages as soon as this lane would.
        paging = wakeup.Waiter(
            engine, self.stopping, listen=waiter.listening, channel=wakeup.PAGE_CHANNEL
        )
        paging.start()
        pages = threading.Thread(
            target=self._lane,
            args=("page", self.send_pages, paging.wait, PAGE_LANE_WAIT),
            name="pages",
            daemon=True,
        )
        if paging.listening:
            pages.start()
        how = "woken by the database when a page is due, " if waiter.listening else ""
        log.info("worker started; %spolling every %.1fs", how, poll_seconds)
        try:
            while not self.stopping.is_set():
                try:
                    result = self.run_once()
                except Exception:
                    # A database blip must not end the worker; the rows are still there next pass.
                    log.exception("worker pass failed; trying again")
                    result = PassResult()
                if not result.busy:
                    seconds = self._idle_wait(poll_seconds)
                    self.idle.set()
                    waiter.wait(seconds)
                    self.idle.clear()
        finally:
            waiter.close()
            for lane in (tickets, pages):
                if lane.is_alive():
                    lane.join()
            paging.close()
            self.senders.close()
            self.page_senders.close()
        log.info("worker stopped")
