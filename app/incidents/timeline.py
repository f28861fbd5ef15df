"""An incident's timeline: every change, with who, when and through what.

What else follows from an entry (the ticket outbox queueing it for the ticketing system) is a
subscriber the app registers at start-up in its sessions' `info`: it runs in the entry's own
transaction, so nothing that happened can miss it, and the timeline knows none of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.models import EventKind, Incident, IncidentEvent

Subscriber = Callable[[Session, IncidentEvent], None]

# The key in a session's `info` holding the subscribers every new entry is handed to.
SUBSCRIBERS = "timeline_subscribers"


# What a timeline entry is called where people read it (the dashboard, the ticket).
EVENT_NAMES = {
    EventKind.OPENED: "Opened",
    EventKind.REPORT_ADDED: "Another caller",
    EventKind.ACKNOWLEDGED: "Acknowledged",
    EventKind.TAKEN_OVER: "Taken over",
    EventKind.REASSIGNED: "Reassigned",
    EventKind.HANDED_ON: "Handed on",
    EventKind.RESOLVED: "Resolved",
    EventKind.CONFIRMED: "Caller confirmed",
    EventKind.REOPENED: "Reopened",
    EventKind.CLOSED: "Closed",
    EventKind.CANCELLED: "Cancelled",
    EventKind.NOTE: "Note",
    EventKind.ESCALATED: "Escalated",
    EventKind.ESCALATION_STEP: "Escalation step",
    EventKind.ESCALATION_ENDED: "Nobody acknowledged",
    EventKind.ESCALATION_SKIPPED: "Step skipped",
    EventKind.ESCALATION_HELD: "Escalation held",
    EventKind.STILL_TRYING: "Caller told we are still trying",
    EventKind.PAGE_QUEUED: "Page queued",
    EventKind.PAGE_SENT: "Page sent",
    EventKind.PAGE_DELIVERED: "Page delivered",
    EventKind.PAGE_ANSWERED: "Page answered",
    EventKind.SEND_RETRY: "Send retried",
    EventKind.SEND_FAILED: "Send failed",
    EventKind.LATE_REPORT: "Late report",
    EventKind.FAILOVER: "Failed over",
    EventKind.CALLERS_UPDATE: "Callers update",
    EventKind.CONFIRMATION_REMINDER: "Confirmation reminder",
    EventKind.CALLER_NO_TEXTS: "Caller cannot get texts",
    EventKind.CONTACTED: "Customer contacted",
    EventKind.CONTACT_REMINDER: "Contact reminder",
    EventKind.CONTACT_OVERDUE: "Not in contact at the goal",
    EventKind.JOINT_CALL: "Joint call",
    EventKind.CONFIRMATION_CALL: "Confirmation call",
    EventKind.CALL_BACK: "Call-back",
    EventKind.CALL_BACK_ENDED: "Call-back ended",
    EventKind.SUMMARY: "Work summary",
    EventKind.SUMMARY_UPDATED: "Work summary corrected",
    EventKind.SUMMARY_OVERDUE: "Work summary overdue",
}


def subscribed(subscribers: Sequence[Subscriber]) -> dict[str, tuple[Subscriber, ...]]:
    """The sessions' `info` that hands each new entry to `subscribers`."""
    return {SUBSCRIBERS: tuple(subscribers)}


def add_event(
    session: Session,
    incident: Incident,
    at: dt.datetime,
    kind: EventKind,
    actor: str,
    channel: str,
    detail: str | ColumnElement[str] = "",
) -> IncidentEvent:
    """`detail`: words, or an expression the database works out when it writes the entry."""
    event = IncidentEvent(
        incident=incident,
        at=at,
        kind=kind,
        actor=actor,
        channel=channel,
        detail=detail[:2000] if isinstance(detail, str) else detail,
    )
    session.add(event)
    for subscriber in session.info.get(SUBSCRIBERS, ()):
        subscriber(session, event)
    return event


def last_actor(session: Session, incident: Incident, kind: EventKind) -> str:
    """Who last did `kind` to the incident, as the timeline names them."""
    actor = session.scalar(
        select(IncidentEvent.actor)
        .where(IncidentEvent.incident_id == incident.id, IncidentEvent.kind == kind)
        .order_by(IncidentEvent.id.desc())
        .limit(1)
    )
    return actor or "someone else"
