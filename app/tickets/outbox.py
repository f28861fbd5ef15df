"""The ticket outbox: timeline entries the ticketing system is to hear about, queued as rows in
the same transaction as the entry itself, so nothing that happened can miss its ticket."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from app.models import EventKind, IncidentEvent, NotificationStatus, TicketUpdate

# The key in a session's `info` that turns queueing on (set when TICKETS_BACKEND is not none).
FORWARD = "forward_to_tickets"

# The timeline entries a ticket is told about; pages, retries and reminders stay on the line.
FORWARDED = frozenset(
    {
        EventKind.OPENED,
        EventKind.REPORT_ADDED,
        EventKind.ACKNOWLEDGED,
        EventKind.TAKEN_OVER,
        EventKind.REASSIGNED,
        EventKind.ESCALATED,
        EventKind.ESCALATION_ENDED,
        EventKind.CONTACTED,
        EventKind.JOINT_CALL,
        EventKind.NOTE,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
        EventKind.SUMMARY,
        EventKind.SUMMARY_UPDATED,
    }
)


def queue(session: Session, event: IncidentEvent) -> None:
    if event.kind in FORWARDED and session.info.get(FORWARD):
        session.add(
            TicketUpdate(
                incident=event.incident,
                event=event,
                kind=event.kind,
                due_at=event.at,
                created_at=event.at,
            )
        )


def next_due(session: Session, now: dt.datetime) -> TicketUpdate | None:
    """The oldest due update whose incident has nothing older still waiting, locked so two
    workers never send it twice; an incident's updates go one at a time, in order."""
    earlier = aliased(TicketUpdate)
    return session.scalar(
        select(TicketUpdate)
        .where(
            TicketUpdate.status == NotificationStatus.QUEUED,
            TicketUpdate.due_at <= now,
            ~exists().where(
                earlier.incident_id == TicketUpdate.incident_id,
                earlier.id < TicketUpdate.id,
                earlier.status == NotificationStatus.QUEUED,
            ),
        )
        .order_by(TicketUpdate.due_at, TicketUpdate.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=TicketUpdate)
    )
