"""News from the ticketing system: a ticket resolved or closed there, and the incident follows,
through the same actions (and rules) as a reply from an admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.incidents import confirmation, transitions
from app.incidents.actions import IncidentActions
from app.incidents.reference import parse_reference
from app.incidents.rules import may_act
from app.models import Channel, EventKind, Incident, IncidentState, Responder
from app.timeline import add_event

STATUSES = ("resolved", "closed")
FINISHED = (IncidentState.CLOSED, IncidentState.CANCELLED)


class Refused(Exception):
    """The news cannot be applied; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TicketNews:
    ticket: str
    reference: str
    status: str
    note: str
    by: str

    @classmethod
    def parse(cls, body: Any) -> TicketNews:
        if not isinstance(body, dict):
            raise Refused(400, 'send a JSON object: {"ticket": "123", "status": "resolved"}')
        fields = {name: str(body.get(name) or "").strip() for name in ("ticket", "reference")}
        if not fields["ticket"] and not fields["reference"]:
            raise Refused(400, 'name the ticket ("ticket") or the line\'s reference ("reference")')
        status = str(body.get("status") or "").strip().lower()
        if status not in STATUSES:
            raise Refused(400, f'"status" must be one of {", ".join(STATUSES)}')
        note, by = (str(body.get(name) or "").strip()[:2000] for name in ("note", "by"))
        return cls(fields["ticket"][:64], fields["reference"], status, note, by[:200])


def find(session: Session, news: TicketNews) -> Incident:
    number = parse_reference(news.reference) if news.reference else None
    conditions = []
    if news.ticket:
        conditions.append(Incident.ticket_id == news.ticket)
    if number is not None:
        conditions.append(Incident.id == number)
    incident = (
        session.scalar(select(Incident).where(or_(*conditions)).limit(1)) if conditions else None
    )
    if incident is None:
        raise Refused(404, f"no incident has ticket {news.ticket or news.reference!r}")
    return incident


def apply(session: Session, actions: IncidentActions, news: TicketNews) -> str:
    incident = find(session, news)
    if incident.state in FINISHED or (
        news.status == "resolved" and incident.state == IncidentState.RESOLVED
    ):
        # Most often the echo of the line's own update.
        return f"{incident.reference} is already {incident.state}"
    responder = _acting(session, incident, news.by)
    if responder is None:
        # Nothing is lost: the timeline says what the ticketing system said.
        add_event(
            session,
            incident,
            actions.clock.now(),
            EventKind.NOTE,
            news.by or "the ticketing system",
            Channel.TICKETS,
            f"the ticket was {news.status} there, but nobody on the line can act for it: "
            + (news.note or "no note"),
        )
        raise Refused(
            409,
            f"{incident.reference} has no owner and {news.by or 'the sender'} is not a "
            "responder on the line: acknowledge it first (the news is on its timeline)",
        )
    where = f"in the ticketing system by {news.by or responder.name}"
    answer = ""
    if incident.state != IncidentState.RESOLVED:
        answer = actions.resolve(
            incident, responder, Channel.TICKETS, news.note or f"resolved {where}"
        )
    if news.status == "closed":
        try:
            answer = confirmation.close(
                session,
                actions.clock.now(),
                incident,
                responder,
                Channel.TICKETS,
                unconfirmed_because=f"closed {where}",
            )
        except transitions.Lost:
            return f"{incident.reference} is already {incident.state}"
    return answer


def _acting(session: Session, incident: Incident, by: str) -> Responder | None:
    """Whom the line records as acting: the responder the ticketing system names (by e-mail or
    name) if they may act on it, else the incident's owner."""
    named = None
    if by:
        named = session.scalar(
            select(Responder).where(
                Responder.active,
                or_(func.lower(Responder.email) == by.lower(), Responder.name == by),
            )
        )
    for candidate in (named, incident.owner):
        if candidate is not None and may_act(session, candidate, incident):
            return candidate
    return None
