"""Passing the ticket outbox on, as the outbox's `tickets` kind: each incident's updates in
order, each once, with backoff while the ticketing system fails. Nothing is ever dropped: an
update waits until the system takes it, and the team leads hear once failures have gone on
(TICKETS_ALERT_AFTER sends in a row)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.clock import Clock
from app.models import EventKind, GatewayHealth, Incident, OutboxStatus, TicketUpdate
from app.outbox import health, sending
from app.outbox.kinds import TICKETING
from app.outbox.policy import DEFAULT_POLICIES, TICKETS, RetryPolicy
from app.outbox.sending import Kind, TryFailed
from app.tickets.backend import TicketBackend, TicketError, TicketRef
from app.tickets.content import change, new_ticket

log = logging.getLogger(__name__)

BACK = (
    "Tickets are reaching the ticketing system again ({system})",
    "After {minutes} min of failures ({failures} tries), the ticketing system is taking "
    "updates again; the waiting ones follow in order.",
)


@dataclass
class TicketSender:
    backend: TicketBackend
    clock: Clock
    zone: ZoneInfo
    base_url: str
    alert_after: int = 5
    batch: int = 50
    policy: RetryPolicy = DEFAULT_POLICIES[TICKETS]
    lease: dt.timedelta = dt.timedelta(seconds=20)

    @property
    def kind(self) -> Kind[TicketUpdate]:
        subject, body = BACK
        return Kind(
            name=TICKETS,
            model=TicketUpdate,
            send=self._send,
            describe=lambda update: f"ticket update {update.id}",
            system=TICKETING,
            # An incident's updates one at a time, oldest first: the ticket reads in the order
            # things happened, however long the ticketing system was down.
            key=TicketUpdate.incident_id,
            load=(joinedload(TicketUpdate.incident), joinedload(TicketUpdate.event)),
            alert=self._alert,
            back=(subject.format(system=self.backend.name), body),
        )

    def send_due(self, session: Session) -> int:
        """Send what is due, one committed update at a time; returns how many were tried."""
        return sending.send_due(session, self.clock, self.kind, self.policy, self.batch, self.lease)

    def _send(self, session: Session, update: TicketUpdate, now: dt.datetime) -> None:
        incident = update.incident
        ticket = new_ticket(incident, self.base_url, self.zone)
        try:
            if incident.ticket_created_at is None:
                # The opening, or the first update of an incident opened before tickets were on.
                ref = self.backend.create(ticket, retried=update.attempts > 1)
                incident.ticket_created_at = now
                # A link people click: only a web address, whatever the system answered.
                url = ref.url if ref.url.startswith(("https://", "http://")) else ""
                incident.ticket_id, incident.ticket_url = ref.id[:64], url[:500]
            if update.kind != EventKind.OPENED:
                ref = TicketRef(incident.ticket_id, incident.ticket_url)
                self.backend.update(ref, ticket, change(update.id, update.event, self.zone))
        except Exception as exc:
            # A ticket already opened stays recorded (the columns above are kept, not rolled
            # back): the retry only sends what is left.
            if not isinstance(exc, TicketError):
                log.exception("ticket update %d failed", update.id)
                raise TryFailed(f"{type(exc).__name__}: {exc}") from exc
            raise TryFailed(str(exc)) from exc

    def _alert(self, session: Session, now: dt.datetime, state: GatewayHealth) -> None:
        if state.failures < self.alert_after:
            return
        waiting = session.execute(
            select(Incident)
            .join(TicketUpdate, TicketUpdate.incident_id == Incident.id)
            .where(TicketUpdate.status == OutboxStatus.QUEUED)
            .group_by(Incident.id)
            .order_by(Incident.id)
        ).scalars()
        names = ", ".join(f"{i.reference} {i.service_name}" for i in waiting)
        count = session.scalar(
            select(func.count())
            .select_from(TicketUpdate)
            .where(TicketUpdate.status == OutboxStatus.QUEUED)
        )
        health.alert(
            session,
            now,
            state,
            f"Tickets are not reaching the ticketing system ({self.backend.name})",
            f"The last {self.alert_after} tries failed. The last error: {state.last_error}\n\n"
            f"{count} updates are waiting, for: {names}.\n\nPaging goes on as usual. Every update "
            "is kept and goes out in order once the ticketing system takes them; until then, "
            "read these incidents on the line's dashboard.",
        )
