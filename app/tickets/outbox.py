"""The ticket outbox: timeline entries the ticketing system is to hear about, queued as rows in
the same transaction as the entry itself, so nothing that happened can miss its ticket; sent by
the outbox's `tickets` kind (sender.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import EventKind, IncidentEvent, TicketUpdate

# The timeline entries a ticket is told about; pages, retries and reminders stay on the line.
FORWARDED = frozenset(
    {
        EventKind.OPENED,
        EventKind.REPORT_ADDED,
        EventKind.ACKNOWLEDGED,
        EventKind.TAKEN_OVER,
        EventKind.REASSIGNED,
        EventKind.HANDED_ON,
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
    """A timeline subscriber (registered when TICKETS_BACKEND is not none)."""
    if event.kind in FORWARDED:
        session.add(
            TicketUpdate(
                incident=event.incident,
                event=event,
                kind=event.kind,
                due_at=event.at,
                created_at=event.at,
            )
        )
