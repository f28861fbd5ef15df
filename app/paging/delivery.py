"""Sending what is due, retrying what may succeed later, failing over what never will.

The worker claims due notification rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers
never take the same row), commits the claim, then calls the gateway. The claim is a short lease
that the worker renews as it works through its batch; a worker that dies leaves its rows to be
taken by another once the lease runs out (20 s by default). A worker killed between the gateway
call and the commit that records it can send that one message twice, never lose it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from app.adapters.gateways import (
    Gateway,
    OutcomeUnknown,
    PermanentSendError,
    TransientSendError,
)
from app.clock import Clock
from app.db import SINGLE_STATEMENT
from app.models import (
    Channel,
    EventKind,
    IncidentState,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from app.paging import caller_reach, gateway_health, outcomes
from app.timeline import add_event

log = logging.getLogger(__name__)

# Seconds to wait before each retry when the gateway did not take a send; then every 5 minutes
# for as long as it takes (a gateway outage is not a recipient's fault: no failover).
RETRY_DELAYS = (5, 15, 45, 120, 300)
# A send whose answer was lost is looked up after this long (a status callback may settle it).
UNKNOWN_OUTCOME_WAIT = 10
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
    token = uuid.uuid4().hex
    due = (
        select(Notification.id)
        .where(
            or_(
                and_(Notification.status == NotificationStatus.QUEUED, Notification.due_at <= now),
                and_(
                    Notification.status == NotificationStatus.SENDING,
                    Notification.claimed_at < now - lease,
                ),
            ),
            *([Notification.kind.in_(URGENT_KINDS)] if urgent_only else []),
        )
        .order_by(URGENT_FIRST, Notification.due_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(
            status=NotificationStatus.SENDING,
            claimed_at=now,
            claim_token=token,
            # A claim that ran out was a worker that died, perhaps just after the gateway took
            # the message: look it up before sending it again.
            outcome_unknown_since=case(
                (
                    Notification.status == NotificationStatus.SENDING,
                    func.coalesce(Notification.outcome_unknown_since, Notification.claimed_at),
                ),
                else_=Notification.outcome_unknown_since,
            ),
        )
        # Whole on its own (the rows are locked and claimed in the one statement): no BEGIN
        # and COMMIT around it.
        .execution_options(synchronize_session=False, **SINGLE_STATEMENT)
    )
    session.commit()
    # Nothing due: no need to ask which rows are ours.
    return _claimed(session, token) if result.rowcount else []


def _claimed(session: Session, token: str) -> list[Notification]:
    # Refresh rows this session loaded earlier in the pass (the escalation sweep, follow-ups):
    # a stale copy still reads "queued", and the row would sit claimed until its lease ran out.
    claimed = (
        select(Notification)
        .where(Notification.claim_token == token)
        .order_by(URGENT_FIRST, Notification.id)
        # Each send looks at its incident (still open?) and names its responder: read them with
        # the rows rather than one by one between sends.
        .options(joinedload(Notification.incident), joinedload(Notification.responder))
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(claimed))


def send_due(
    session: Session,
    clock: Clock,
    gateway: Gateway,
    urls: CallbackUrls,
    limit: int = 100,
    lease: dt.timedelta = CLAIM_LEASE,
    urgent_only: bool = False,
) -> int:
    """Send what is due (`urgent_only`: the pages and calls alone); returns how many rows were
    attempted."""
    claimed = claim_due(session, clock.now(), limit, lease, urgent_only)
    token = claimed[0].claim_token if claimed else None
    renewed = started = clock.now()
    # Read once a batch, not once a send: only the first answer after an outage ends it.
    failing = bool(claimed) and gateway_health.failing(session)
    for attempted, notification in enumerate(claimed):
        late = attempted and clock.now() - started > SEND_SLICE
        if late and notification.kind not in URGENT_KINDS:
            # The urgent ones came first; a page queued since waits no longer than this.
            release_claims(session, token)
            return attempted
        answered = _send_one(session, clock, gateway, urls, notification)
        if answered and failing:
            gateway_health.answered(session, clock.now())
        if answered is not None:
            failing = not answered
        session.commit()
        if clock.now() - renewed > lease / 3:
            # Still alive and still working through the batch: keep the rest of it ours.
            renewed = clock.now()
            renew_claims(session, token, renewed)
    return len(claimed)


def release_claims(session: Session, token: str | None) -> None:
    """Put what this batch claimed and did not reach back in the queue, for the next pass."""
    session.execute(
        update(Notification)
        .where(Notification.claim_token == token, Notification.status == NotificationStatus.SENDING)
        .values(status=NotificationStatus.QUEUED, claimed_at=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def renew_claims(session: Session, token: str | None, now: dt.datetime) -> None:
    session.execute(
        update(Notification)
        .where(Notification.claim_token == token, Notification.status == NotificationStatus.SENDING)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _send_one(
    session: Session, clock: Clock, gateway: Gateway, urls: CallbackUrls, notification: Notification
) -> bool | None:
    """Send one row; True when the gateway answered (took it, or refused this recipient), False
    when it did not, None when nothing was sent."""
    if notification.status != NotificationStatus.SENDING:
        return None
    if _no_longer_needed(notification):
        notification.status = NotificationStatus.CANCELLED
        return None
    notification.attempts += 1
    try:
        sid = _settled(session, gateway, notification) or _send(gateway, urls, notification)
    except TransientSendError as exc:
        gateway_health.failed(session, clock.now(), str(exc))
        _retry(session, clock.now(), notification, exc)
        return False
    except PermanentSendError as exc:
        outcomes.fail(session, clock.now(), notification, str(exc))
        return True
    outcomes.record_sent(session, clock.now(), notification, sid)
    return True


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


def _send(gateway: Gateway, urls: CallbackUrls, notification: Notification) -> str:
    if notification.channel == NotificationChannel.VOICE:
        url = {
            NotificationKind.BRIDGE: urls.voice_bridge,
            NotificationKind.CALLER: urls.voice_confirm,
            NotificationKind.JOINT: urls.voice_joint,
        }.get(NotificationKind(notification.kind), urls.voice_page)
        return gateway.place_call(
            notification.to_number, url(notification.id), urls.voice_page_status(notification.id)
        )
    return gateway.send_sms(
        notification.to_number, notification.body, urls.sms_status_for(notification.id)
    )


def _no_longer_needed(notification: Notification) -> bool:
    incident = notification.incident
    if caller_reach.is_confirmation_call(notification):
        return not caller_reach.awaiting_answer(notification)
    if notification.kind == NotificationKind.JOINT:
        return incident is None or incident.state in (IncidentState.CLOSED, IncidentState.CANCELLED)
    return (
        notification.kind == NotificationKind.PAGE
        and incident is not None
        and incident.state != IncidentState.OPEN
    )


def _retry(
    session: Session, now: dt.datetime, notification: Notification, error: TransientSendError
) -> None:
    """The gateway did not take it: try again later, for as long as it takes. It is no fault of
    the recipient's, so it never fails over (that would burn the chain in minutes)."""
    delay = RETRY_DELAYS[min(notification.attempts, len(RETRY_DELAYS)) - 1]
    if isinstance(error, OutcomeUnknown):
        # It may have been taken: check before sending again, and give a status callback a
        # moment to settle it first.
        notification.outcome_unknown_since = notification.outcome_unknown_since or now
        delay = UNKNOWN_OUTCOME_WAIT
    notification.status = NotificationStatus.QUEUED
    notification.due_at = now + dt.timedelta(seconds=delay)
    notification.claim_token = None
    notification.last_error = str(error)[:500]
    if notification.incident is not None:
        add_event(
            session,
            notification.incident,
            now,
            EventKind.SEND_RETRY,
            "worker",
            Channel.WORKER,
            f"{notification.channel.upper()} to {outcomes.who(notification)} failed ({error}); "
            f"retry {notification.attempts} in {delay}s",
        )
