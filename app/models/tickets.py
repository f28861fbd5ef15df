"""The ticket outbox: what the ticketing system is to be told about each incident, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, EventKind, OutboxRow, stored_as_word

if TYPE_CHECKING:
    from app.models.incidents import Incident, IncidentEvent


class TicketUpdate(OutboxRow, Base):
    """One timeline entry to pass on (the opening creates the ticket). The worker sends an
    incident's updates one at a time, oldest first, and never one while an earlier one waits:
    the ticket reads in the order things happened, however long the ticketing system was down."""

    __tablename__ = "ticket_updates"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id"))
    kind: Mapped[EventKind] = mapped_column(stored_as_word(EventKind, 32))

    incident: Mapped[Incident] = relationship()
    event: Mapped[IncidentEvent] = relationship()


Index("ix_ticket_updates_status_due", TicketUpdate.status, TicketUpdate.due_at)
Index("ix_ticket_updates_incident_status", TicketUpdate.incident_id, TicketUpdate.status)
