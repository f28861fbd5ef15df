"""The worker: fires due escalation steps and sends due notifications. Holds no state of its own;
everything it acts on is a row, so a restart, a deploy or a crash loses nothing."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app import health
from app.adapters import mail
from app.adapters.gateways import Gateway
from app.adapters.mail import Mailer
from app.calls import spool
from app.clock import Clock
from app.incidents import followups
from app.incidents.followups import FollowUpPolicy
from app.paging import delivery, escalation
from app.paging.delivery import CallbackUrls

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    steps_fired: int = 0  # escalation steps and follow-ups (reminders, caller counts)
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
        region: str = "US",
        lease: dt.timedelta = delivery.CLAIM_LEASE,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.gateway = gateway
        self.urls = urls
        self.followup_policy = followup_policy
        self.mailer = mailer
        self.batch = batch
        self.spool = spool
        self.region = region
        self.lease = lease
        self.stopping = threading.Event()
        self.name = health.worker_name()

    def run_once(self) -> PassResult:
        """Everything due now, in batches, until nothing is left."""
        total = PassResult()
        while not self.stopping.is_set():
            with self.sessions() as session:
                if self.spool is not None:
                    # Voicemail kept on disk while the database was down becomes incidents.
                    spool.import_spooled(session, self.clock.now(), self.spool, self.region)
                fired = escalation.advance_due(session, self.clock.now(), self.batch)
                fired += followups.run_due(
                    session, self.clock.now(), self.followup_policy, self.batch
                )
                sent = delivery.send_due(
                    session, self.clock, self.gateway, self.urls, self.batch, self.lease
                )
                sent += mail.send_due(session, self.clock, self.mailer, self.batch)
                health.beat(session, self.clock.now(), self.name)
            total.steps_fired += fired
            total.sent += sent
            # Sending can queue more that is due at once (a failover); stop when a pass is idle.
            if not (fired or sent):
                break
        return total

    def run_forever(self, poll_seconds: float) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())
        log.info("worker started; polling every %.1fs", poll_seconds)
        while not self.stopping.is_set():
            try:
                result = self.run_once()
            except Exception:
                # A database blip must not end the worker; the rows are still there next pass.
                log.exception("worker pass failed; trying again")
                result = PassResult()
            if not result.busy:
                self.stopping.wait(poll_seconds)
        log.info("worker stopped")
