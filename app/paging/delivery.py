"""Sending what is due, retrying what may succeed later, failing over what never will.

Messages (pages, texts, calls) are the outbox's `messages` kind: the worker claims due rows
through app/outbox/claims.py (two workers never take the same row), commits the claim, then calls
the gateway. The claim is a short lease that the worker renews as it works through its batch; a
worker that dies leaves its rows to be taken by another once the lease runs out (20 s by
default). A worker killed between the gateway call and the commit that records it leaves the
send's outcome unknown: it is looked up at the gateway before it is sent again. What the
outbox's generic loop does not know is here: pages before the rest, a time slice for the rest,
cancelling what is no longer needed, and failing over when a recipient refuses.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from app.adapters.gateways import (
    Gateway,
    OutcomeUnknown,
    PermanentSendError,
    TransientSendError,
)
from app.clock import Clock
from app.incidents.timeline import add_event
from app.models import (
    FINISHED_STATES,
    WAITING_STATES,
    Channel,
    EventKind,
    Notification,
    NotificationChannel,
    NotificationKind,
    OutboxStatus,
)
from app.outbox import claims, health, retry
from app.outbox.kinds import GATEWAY
from app.outbox.policy import DEFAULT_POLICIES, MESSAGES, RetryPolicy
from app.paging import caller_reach, outcomes

log = logging.getLogger(__name__)

# A send whose answer was lost is looked up after 10 s (a status callback may settle it).
UNKNOWN_OUTCOME_POLICY = RetryPolicy(delays=(10,))
# A claimed row whose worker died is taken again after this long; a live worker renews it.
CLAIM_LEASE = dt.timedelta(seconds=20)


@dataclass(frozen=True)
class CallbackUrls:
    """Where Twilio reports back; built from the public base URL, no web framework needed."""

    base: str

    def sms_status_for(self, notification_id: int) -> str:
        """Per row, so a status callback can settle a send whose own answer was lost."""
        return f"{self.base}/sms/status?n={notification_id}"

    def voice_page(self, notification_id: int) -> str:
        return f"{self.base}/voice/page/{notification_id}"

    def voice_bridge(self, notification_id: int) -> str:
        return f"{self.base}/voice/bridge/{notification_id}"

    def voice_joint(self, notification_id: int) -> str:
        return f"{self.base}/voice/joint/{notification_id}"

    def voice_confirm(self, notification_id: int) -> str:
        return f"{self.base}/voice/confirm/{notification_id}"

    def voice_page_status(self, notification_id: int) -> str:
        return f"{self.base}/voice/page/{notification_id}/status"


# --- sending ----------------------------------------------------------------------------------


# Someone waiting on the line, or an incident nobody has yet, goes before the rest: under a burst
# of callers' receipts a page is claimed, and sent, first.
URGENT_KINDS = (NotificationKind.PAGE, NotificationKind.BRIDGE, NotificationKind.JOINT)
URGENT_FIRST = case((Notification.kind.in_(URGENT_KINDS), 0), else_=1)
# A pass sends the rest for this long at most, then looks again for pages that fell due meanwhile.
SEND_SLICE = dt.timedelta(milliseconds=50)


def claim_due(
    session: Session,
    now: dt.datetime,
    limit: int = 100,
    lease: dt.timedelta = CLAIM_LEASE,
    urgent_only: bool = False,
) -> list[Notification]:
    """Take up to `limit` due rows for this worker alone, committed before anything is sent.
    `urgent_only`: pages, put-through calls and joint-call legs only."""
    token = claims.claim(
        session,
        Notification,
        now,
        limit=limit,
        lease=lease,
        where=[Notification.kind.in_(URGENT_KINDS)] if urgent_only else [],
        order_by=[URGENT_FIRST],
        extra={
            # A claim that ran out was a worker that died, perhaps just after the gateway took
            # the message: look it up before sending it again.
            "outcome_unknown_since": case(
                (
                    Notification.status == OutboxStatus.SENDING,
                    func.coalesce(Notification.outcome_unknown_since, Notification.claimed_at),
                ),
                else_=Notification.outcome_unknown_since,
            )
        },
    )
    if token is None:
        return []
    # Each send looks at its incident (still open?) and names its responder: read them with
    # the rows rather than one by one between sends.
    return claims.claimed(
        session,
        Notification,
        token,
        joinedload(Notification.incident),
        joinedload(Notification.responder),
        order_by=[URGENT_FIRST],
    )


def send_due(
    session: Session,
    clock: Clock,
    gateway: Gateway,
    urls: CallbackUrls,
    limit: int = 100,
    lease: dt.timedelta = CLAIM_LEASE,
    urgent_only: bool = False,
    policy: RetryPolicy = DEFAULT_POLICIES[MESSAGES],
    senders: Senders | None = None,
) -> int:
    """Send what is due (`urgent_only`: the pages and calls alone), up to `senders.at_once`
    rows at the gateway at a time; returns how many rows were attempted. Only this thread
    touches the session: the senders get a copy of what they send, and each answer is recorded
    and committed here as it comes."""
    senders = senders or Senders()
    claimed = claim_due(session, clock.now(), limit, lease, urgent_only)
    if not claimed:
        return 0
    token = str(claimed[0].claim_token)  # every claimed row carries it
    renewed = started = clock.now()
    # Read once a batch, not once a send: only the first answer after an outage ends it.
    failing = health.failing_row(session, GATEWAY) is not None

    def settle(answered: bool | None) -> None:
        nonlocal failing
        if answered and failing:
            health.answered(session, GATEWAY, clock.now(), BACK)
        if answered is not None:
            failing = not answered
        session.commit()

    waiting = list(claimed)
    in_flight: dict[Future[str], Notification] = {}
    attempted = 0
    while waiting or in_flight:
        while waiting and len(in_flight) < senders.at_once:
            # The oldest row whose number has nothing at the gateway: one person's texts are
            # handed over one after another, in order.
            busy = {row.to_number for row in in_flight.values()}
            notification = next((row for row in waiting if row.to_number not in busy), None)
            if notification is None:
                break
            late = attempted and clock.now() - started > SEND_SLICE
            if late and notification.kind not in URGENT_KINDS:
                # The urgent ones came first; a page queued since waits no longer than this.
                waiting.clear()
                break
            waiting.remove(notification)
            attempted += 1
            outgoing = _ready(session, clock, gateway, notification, policy)
            if isinstance(outgoing, Outgoing):
                in_flight[senders.start(partial(_send, gateway, urls, outgoing))] = notification
            else:
                settle(outgoing)
        if not in_flight:
            continue
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            settle(_answered(session, clock, in_flight.pop(future), future, policy))
        if clock.now() - renewed > lease / 3:
            # Still alive and still working through the batch: keep the rest of it ours.
            renewed = clock.now()
            claims.renew(session, Notification, token, renewed)
    if attempted < len(claimed):
        claims.release(session, Notification, token)
    return attempted


# What the leads hear when the gateway answers again after they were told it was failing.
BACK = (
    "The SMS and voice gateway is answering again",
    "After {minutes} min of failures ({failures} sends), the gateway is taking pages again. "
    "Held escalation chains carry on from where they stood.",
)


@dataclass(frozen=True)
class Outgoing:
    """What one send needs, copied from its row for a sender thread, which must not touch the
    session or its objects."""

    id: int
    channel: str
    kind: str
    to: str
    body: str


class Senders:
    """Sends at the gateway at once. Twilio takes a few hundred milliseconds to answer each
    one: one at a time, the receipts of a campus-wide outage (thousands within minutes) would
    take a quarter of an hour to hand over. `at_once` 1 sends on the calling thread."""

    def __init__(self, at_once: int = 1) -> None:
        self.at_once = at_once
        self._pool = (
            ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="gateway")
            if at_once > 1
            else None
        )

    def start(self, send: Callable[[], str]) -> Future[str]:
        if self._pool is not None:
            return self._pool.submit(send)
        done: Future[str] = Future()
        try:
            done.set_result(send())
        except Exception as exc:
            done.set_exception(exc)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _ready(
    session: Session,
    clock: Clock,
    gateway: Gateway,
    notification: Notification,
    policy: RetryPolicy,
) -> Outgoing | bool | None:
    """What to send for a claimed row. When nothing is to be sent, as `_answered` says: None
    when the row is no longer needed, True when the gateway took it after all (a lost answer,
    looked up) or refused the recipient, False when the lookup failed."""
    if notification.status != OutboxStatus.SENDING:
        return None
    if _no_longer_needed(notification):
        notification.status = OutboxStatus.CANCELLED
        return None
    notification.attempts += 1
    try:
        sid = _settled(session, gateway, notification)
    except (TransientSendError, PermanentSendError) as exc:
        return _not_taken(session, clock, notification, exc, policy)
    if sid:
        outcomes.record_sent(session, clock.now(), notification, sid)
        return True
    return Outgoing(
        notification.id,
        notification.channel,
        notification.kind,
        notification.to_number,
        notification.body,
    )


def _answered(
    session: Session,
    clock: Clock,
    notification: Notification,
    sent: Future[str],
    policy: RetryPolicy,
) -> bool:
    """Record the gateway's answer to one send; True when the gateway answered (took it, or
    refused this recipient), False when it did not."""
    try:
        sid = sent.result()
    except (TransientSendError, PermanentSendError) as exc:
        return _not_taken(session, clock, notification, exc, policy)
    outcomes.record_sent(session, clock.now(), notification, sid)
    return True


def _not_taken(
    session: Session,
    clock: Clock,
    notification: Notification,
    error: TransientSendError | PermanentSendError,
    policy: RetryPolicy,
) -> bool:
    """Record a send (or a lost answer's lookup) the gateway did not take: True when it refused
    this recipient (it answered), False when it failed and the row is retried."""
    if isinstance(error, PermanentSendError):
        outcomes.fail(session, clock.now(), notification, str(error))
        return True
    health.failed(session, GATEWAY, clock.now(), str(error))
    _retry(session, clock.now(), notification, error, policy)
    return False


def _settled(session: Session, gateway: Gateway, notification: Notification) -> str | None:
    """A send whose answer was lost is looked up first: if the gateway took it, it is not sent
    again (a page reaches a phone at most once). A match already recorded on another row is
    that row's, not this one's."""
    since = notification.outcome_unknown_since
    if since is None:
        return None
    candidates = gateway.find_sent(
        notification.channel, notification.to_number, notification.body, since
    )
    known = set(
        session.scalars(
            select(Notification.provider_sid).where(Notification.provider_sid.in_(candidates))
        )
    )
    notification.outcome_unknown_since = None
    found = next((sid for sid in candidates if sid not in known), None)
    if found:
        log.info("%s %d was taken by the gateway after all", notification.kind, notification.id)
    return found


def _send(gateway: Gateway, urls: CallbackUrls, outgoing: Outgoing) -> str:
    if outgoing.channel == NotificationChannel.VOICE:
        url = {
            NotificationKind.BRIDGE: urls.voice_bridge,
            NotificationKind.CALLER: urls.voice_confirm,
            NotificationKind.JOINT: urls.voice_joint,
        }.get(NotificationKind(outgoing.kind), urls.voice_page)
        return gateway.place_call(
            outgoing.to, url(outgoing.id), urls.voice_page_status(outgoing.id)
        )
    return gateway.send_sms(outgoing.to, outgoing.body, urls.sms_status_for(outgoing.id))


def _no_longer_needed(notification: Notification) -> bool:
    incident = notification.incident
    if caller_reach.is_confirmation_call(notification):
        return not caller_reach.awaiting_answer(notification)
    if notification.kind == NotificationKind.JOINT:
        return incident is None or incident.state in FINISHED_STATES
    return (
        notification.kind == NotificationKind.PAGE
        and incident is not None
        and incident.state not in WAITING_STATES
    )


def _retry(
    session: Session,
    now: dt.datetime,
    notification: Notification,
    error: TransientSendError,
    policy: RetryPolicy,
) -> None:
    """The gateway did not take it: try again later by the messages' policy (as shipped, for as
    long as it takes). It is no fault of the recipient's, so it never fails over (that would
    burn the chain in minutes)."""
    what = f"{notification.channel.upper()} to {outcomes.who(notification)}"
    if isinstance(error, OutcomeUnknown):
        # It may have been taken: check before sending again, and give a status callback a
        # moment to settle it first.
        notification.outcome_unknown_since = notification.outcome_unknown_since or now
        retried = retry.again_later(notification, now, str(error), UNKNOWN_OUTCOME_POLICY, what)
    else:
        retried = retry.again_later(notification, now, str(error), policy, what)
    if notification.incident is not None:
        outcome = (
            "set aside after its tries"
            if retried.parked
            else f"retry {notification.attempts} in {int(retried.delay.total_seconds())}s"
        )
        add_event(
            session,
            notification.incident,
            now,
            EventKind.SEND_RETRY,
            "worker",
            Channel.WORKER,
            f"{what} failed ({error}); {outcome}",
        )
