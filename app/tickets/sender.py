"""Passing the outbox on: each incident's updates in order, each once, with backoff while the
ticketing system fails. Nothing is ever dropped: an update waits until the system takes it,
and the team leads hear once failures have gone on (TICKETS_ALERT_AFTER sends in a row)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EventKind, Incident, NotificationStatus, TicketUpdate
from app.paging import gateway_health
from app.tickets import outbox
from app.tickets.backend import TicketBackend, TicketError, TicketRef
from app.tickets.content import change, new_ticket

log = logging.getLogger(__name__)

HEALTH = "tickets"
# Then hourly, for as long as it takes.
RETRY_DELAYS = (15, 30, 60, 120, 300, 600, 1800, 3600)


@dataclass
class TicketSender:
    backend: TicketBackend
    clock: Clock
    zone: ZoneInfo
    base_url: str
    alert_after: int = 5
    batch: int = 50

    def send_due(self, session: Session) -> int:
        """Send what is due, one committed update at a time; returns how many were tried."""
        tried = 0
        while tried < self.batch:
            # Another worker may have opened the ticket or changed the incident since this
            # session last read it: every update starts from what is committed.
            session.expire_all()
            now = self.clock.now()
            update = outbox.next_due(session, now)
            if update is None:
                break
            self._send(session, update, now)
            session.commit()
            tried += 1
        return tried

    def _send(self, session: Session, update: TicketUpdate, now: dt.datetime) -> None:
        incident = update.incident
        ticket = new_ticket(incident, self.base_url, self.zone)
        try:
            if incident.ticket_created_at is None:
                # The opening, or the first update of an incident opened before tickets were on.
                ref = self.backend.create(ticket, retried=update.attempts > 0)
                incident.ticket_created_at = now
                # A link people click: only a web address, whatever the system answered.
                url = ref.url if ref.url.startswith(("https://", "http://")) else ""
                incident.ticket_id, incident.ticket_url = ref.id[:64], url[:500]
            if update.kind != EventKind.OPENED:
                ref = TicketRef(incident.ticket_id, incident.ticket_url)
                self.backend.update(ref, ticket, change(update.id, update.event, self.zone))
        except Exception as exc:
            # A ticket already opened stays recorded (the columns above are kept): the retry
            # only sends what is left.
            error = str(exc) if isinstance(exc, TicketError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, TicketError):
                log.exception("ticket update %d failed", update.id)
            self._failed(session, update, now, error)
            return
        update.attempts += 1
        update.status = NotificationStatus.SENT
        update.sent_at = now
        update.last_error = ""
        self._answered(session, now)

    def _failed(self, session: Session, update: TicketUpdate, now: dt.datetime, error: str) -> None:
        update.attempts += 1
        update.last_error = error[:500]
        delay = RETRY_DELAYS[min(update.attempts, len(RETRY_DELAYS)) - 1]
        update.due_at = now + dt.timedelta(seconds=delay)
        log.warning("ticket update %d failed (%s); retrying in %d s", update.id, error, delay)
        row = gateway_health.health_row(session, HEALTH)
        if row.failing_since is None:
            row.failing_since, row.failures = now, 0
        row.failures += 1
        row.last_error = error[:500]
        if row.alerted_at is None and row.failures >= self.alert_after:
            row.alerted_at = now
            self._alert(session, now, error)

    def _alert(self, session: Session, now: dt.datetime, error: str) -> None:
        waiting = session.execute(
            select(Incident)
            .join(TicketUpdate, TicketUpdate.incident_id == Incident.id)
            .where(TicketUpdate.status == NotificationStatus.QUEUED)
            .group_by(Incident.id)
            .order_by(Incident.id)
        ).scalars()
        names = ", ".join(f"{i.reference} {i.service_name}" for i in waiting)
        count = session.scalar(
            select(func.count())
            .select_from(TicketUpdate)
            .where(TicketUpdate.status == NotificationStatus.QUEUED)
        )
        gateway_health.tell_leads(
            session,
            now,
            f"Tickets are not reaching the ticketing system ({self.backend.name})",
            f"The last {self.alert_after} tries failed. The last error: {error}\n\n"
            f"{count} updates are waiting, for: {names}.\n\nPaging goes on as usual. Every update "
            "is kept and goes out in order once the ticketing system takes them; until then, "
            "read these incidents on the line's dashboard.",
        )
        log.error("ticketing system failing; leads alerted")

    def _answered(self, session: Session, now: dt.datetime) -> None:
        row = gateway_health.failing_row(session, HEALTH)
        if row is None or row.failing_since is None:
            return
        if row.alerted_at is not None:
            minutes = int((now - row.failing_since).total_seconds() // 60)
            gateway_health.tell_leads(
                session,
                now,
                f"Tickets are reaching the ticketing system again ({self.backend.name})",
                f"After {minutes} min of failures ({row.failures} tries), the ticketing system "
                "is taking updates again; the waiting ones follow in order.",
            )
        row.failing_since = row.alerted_at = None
        row.failures = 0
