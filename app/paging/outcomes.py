"""What happened to a notification after it was handed over: sent, delivered, failed, answered
by a machine. Delivery reports only ever move a row forward; a page that cannot reach its
recipient fails over, SMS to a call, then to the next escalation step."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.incidents.timeline import add_event
from app.models import (
    Channel,
    EventKind,
    IncidentState,
    JointCallLeg,
    Notification,
    NotificationChannel,
    NotificationKind,
    OutboxStatus,
)
from app.paging import caller_reach, escalation, notify
from app.phones import mask

log = logging.getLogger(__name__)

# Delivery states in the order they happen, so a late callback never moves a page backwards.
PROVIDER_ORDER = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "initiated": 1,
    "sending": 2,
    "ringing": 2,
    "sent": 3,
    "in-progress": 3,
    "answered": 3,
    "delivered": 4,
    "read": 5,
    "completed": 5,
    "undelivered": 6,
    "failed": 6,
    "busy": 6,
    "no-answer": 6,
    "canceled": 6,
}
DELIVERED_PROVIDER_STATES = {"delivered", "read", "answered", "in-progress", "completed"}
FAILED_PROVIDER_STATES = {"undelivered", "failed", "busy", "no-answer", "canceled"}


def record_sent(session: Session, now: dt.datetime, notification: Notification, sid: str) -> None:
    notification.status = OutboxStatus.SENT
    notification.provider_sid = sid
    notification.sent_at = now
    notification.last_error = ""
    log.info(
        "%s %s %d sent to %s",
        notification.kind,
        notification.channel,
        notification.id,
        mask(notification.to_number),
    )
    if notification.incident is not None and notification.kind == NotificationKind.PAGE:
        add_event(
            session,
            notification.incident,
            now,
            EventKind.PAGE_SENT,
            "worker",
            Channel.WORKER,
            f"{notification.channel.upper()} to {who(notification)} accepted by the gateway",
        )


def fail(session: Session, now: dt.datetime, notification: Notification, reason: str) -> None:
    """A notification failed for good: record it, and for a page, fail over at once."""
    if notification.status == OutboxStatus.FAILED:
        return
    notification.status = OutboxStatus.FAILED
    notification.failed_at = now
    notification.last_error = reason[:500]
    log.warning(
        "%s %s %d to %s failed: %s",
        notification.kind,
        notification.channel,
        notification.id,
        mask(notification.to_number),
        reason,
    )
    incident = notification.incident
    if incident is None:
        return
    add_event(
        session,
        incident,
        now,
        EventKind.SEND_FAILED,
        "worker",
        Channel.WORKER,
        f"{notification.channel.upper()} to {who(notification)} failed: {reason}",
    )
    if notification.kind == NotificationKind.PAGE and incident.state == IncidentState.OPEN:
        failover(session, now, notification)
    elif notification.kind == NotificationKind.JOINT:
        _joint_call_not_reached(session, now, notification)
    elif caller_reach.is_confirmation_call(notification):
        caller_reach.call_unanswered(session, now, notification)
    elif notification.kind == NotificationKind.CALLER:
        caller_reach.texts_failed(session, now, notification)


def _joint_call_not_reached(session: Session, now: dt.datetime, call: Notification) -> None:
    """The line's call into a joint call was not answered: that person's leg is over."""
    leg = session.scalar(select(JointCallLeg).where(JointCallLeg.notification_id == call.id))
    if leg is not None and leg.left_at is None:
        leg.left_at = now
        add_event(
            session,
            leg.incident,
            now,
            EventKind.JOINT_CALL,
            leg.who,
            Channel.VOICE,
            f"not reached at {mask(leg.number)}",
        )


def failover(session: Session, now: dt.datetime, page: Notification) -> None:
    """Move a failed page to the next channel (SMS -> call) or, failing that, the next step."""
    incident, responder = page.incident, page.responder
    if incident is None or responder is None:
        return
    tried_voice = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.incident_id == incident.id,
            Notification.responder_id == responder.id,
            Notification.kind == NotificationKind.PAGE,
            Notification.channel == NotificationChannel.VOICE,
            Notification.step == page.step,
            Notification.cycle == page.cycle,
        )
    )
    if page.channel == NotificationChannel.SMS and not tried_voice:
        notify.queue_page(
            session, now, incident, responder, NotificationChannel.VOICE, page.step, page.cycle
        )
        add_event(
            session,
            incident,
            now,
            EventKind.FAILOVER,
            "worker",
            Channel.WORKER,
            f"SMS to {responder.name} failed; calling instead",
        )
        return
    moved = escalation.hurry_next_step(session, now, incident)
    add_event(
        session,
        incident,
        now,
        EventKind.FAILOVER,
        "worker",
        Channel.WORKER,
        f"{responder.name} cannot be reached; "
        + ("moving to the next escalation step now" if moved else "no further steps"),
    )


def record_provider_status(
    session: Session,
    now: dt.datetime,
    provider_sid: str,
    status: str,
    error_code: str | None = None,
    notification_id: int | None = None,
) -> Notification | None:
    """A delivery callback: move the row forward only, and fail over on failure (once). The row
    is found by the provider's id, or, for a send whose own answer was lost, by the row id its
    callback URL carries: then the callback settles it and it is never sent twice."""
    notification = session.scalar(
        select(Notification).where(Notification.provider_sid == provider_sid)
    )
    if notification is None and notification_id is not None:
        notification = _settle_by_callback(session, now, notification_id, provider_sid)
    if notification is None:
        return None
    status = status.lower()
    known = PROVIDER_ORDER.get(status)
    current = PROVIDER_ORDER.get(notification.provider_status, 0)
    if known is None or known <= current:
        return notification  # repeated or out of order: changes nothing
    notification.provider_status = status
    if status in FAILED_PROVIDER_STATES and notification.status == OutboxStatus.DELIVERED:
        # It arrived (the carrier said so first): a late failure report is noted, and the page
        # is not sent again to someone who has it.
        if notification.incident is not None:
            add_event(
                session,
                notification.incident,
                now,
                EventKind.LATE_REPORT,
                "worker",
                Channel.WORKER,
                f"{notification.channel.upper()} to {who(notification)} "
                f"reported {status} after it was delivered; kept as delivered",
            )
        return notification
    if status in FAILED_PROVIDER_STATES:
        reason = f"carrier reported {status}" + (f" (error {error_code})" if error_code else "")
        fail(session, now, notification, reason)
    elif status in DELIVERED_PROVIDER_STATES:
        _delivered(session, now, notification)
    return notification


def _delivered(session: Session, now: dt.datetime, notification: Notification) -> None:
    if notification.status in (OutboxStatus.DELIVERED, OutboxStatus.FAILED):
        return
    notification.status = OutboxStatus.DELIVERED
    notification.delivered_at = now
    if notification.incident is not None and notification.kind == NotificationKind.PAGE:
        voice = notification.channel == NotificationChannel.VOICE
        add_event(
            session,
            notification.incident,
            now,
            EventKind.PAGE_ANSWERED if voice else EventKind.PAGE_DELIVERED,
            "worker",
            Channel.WORKER,
            f"{notification.channel.upper()} to {who(notification)} "
            + ("answered" if voice else "delivered"),
        )


def _settle_by_callback(
    session: Session, now: dt.datetime, notification_id: int, provider_sid: str
) -> Notification | None:
    row = session.get(Notification, notification_id)
    if row is None or row.provider_sid is not None or row.status == OutboxStatus.FAILED:
        return None
    if row.status in (OutboxStatus.QUEUED, OutboxStatus.SENDING):
        # The gateway took it though the worker never heard so: it is sent, not to be resent.
        record_sent(session, now, row, provider_sid)
        row.outcome_unknown_since = None
        row.claim_token = None
    else:
        row.provider_sid = provider_sid
    return row


def machine_answered(session: Session, now: dt.datetime, page: Notification) -> None:
    """A voice page answered by voicemail or a machine has not reached anyone: the chain moves on
    as for no answer."""
    if page.status not in (OutboxStatus.FAILED,):
        fail(session, now, page, "answered by voicemail or a machine, not a person")


def who(notification: Notification) -> str:
    return notification.responder.name if notification.responder else mask(notification.to_number)
