"""News from the ticketing system: a ticket resolved or closed there, and the incident follows,
through the same actions (and rules) as a reply from an admin."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.incidents import confirmation, transitions
from app.incidents.actions import IncidentActions
from app.incidents.reference import parse_reference
from app.incidents.rules import may_act
from app.incidents.timeline import add_event
from app.models import (
    FINISHED_STATES,
    Channel,
    EventKind,
    Incident,
    IncidentState,
    Responder,
    WebhookReceipt,
)

STATUSES = ("resolved", "closed")
# News is taken within this much of the line's clock, each delivery id once: a captured request
# sent again (a "resolved" replayed after the caller said it is still broken) changes nothing.
FRESH_FOR = dt.timedelta(minutes=5)
EXAMPLE = (
    '{"ticket": "123", "status": "resolved", "delivery": "<unique id>", '
    '"sent_at": <Unix time in seconds>}'
)


class Refused(Exception):
    """The news cannot be applied; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Refused(400, f'"{name}" must be text')
    return str(value).strip()


@dataclass(frozen=True)
class TicketNews:
    ticket: str
    reference: str
    status: str
    note: str
    by: str
    delivery: str
    sent_at: dt.datetime

    @classmethod
    def parse(cls, body: Any) -> TicketNews:
        if not isinstance(body, dict):
            raise Refused(400, f"send a JSON object: {EXAMPLE}")
        fields = {name: _text(body, name) for name in ("ticket", "reference")}
        if not fields["ticket"] and not fields["reference"]:
            raise Refused(400, 'name the ticket ("ticket") or the line\'s reference ("reference")')
        status = _text(body, "status").lower()
        if status not in STATUSES:
            raise Refused(400, f'"status" must be one of {", ".join(STATUSES)}')
        delivery = _text(body, "delivery")
        if not 1 <= len(delivery) <= 100:
            raise Refused(400, '"delivery": an id of up to 100 characters, new for every event')
        sent_at = body.get("sent_at")
        if (
            isinstance(sent_at, bool)
            or not isinstance(sent_at, int | float)
            or not math.isfinite(sent_at)
            or not 0 < sent_at < 1e11
        ):
            raise Refused(400, '"sent_at": when it was sent, in Unix time (seconds)')
        note, by = (_text(body, name)[:2000] for name in ("note", "by"))
        return cls(
            fields["ticket"][:64],
            fields["reference"],
            status,
            note,
            by[:200],
            delivery,
            dt.datetime.fromtimestamp(sent_at, dt.UTC),
        )


def first_delivery(session: Session, now: dt.datetime, news: TicketNews) -> None:
    """Refuse news sent too long ago (or ahead of the line's clock), and a delivery id seen
    before; the id is kept with whatever the news changes, in the same transaction."""
    if abs(now - news.sent_at) > FRESH_FOR:
        raise Refused(
            400,
            f'"sent_at" is {abs(now - news.sent_at).total_seconds():.0f} s from the line\'s '
            f"clock (at most {FRESH_FOR.total_seconds():.0f} s): send it anew, or set the "
            "sender's clock right",
        )
    key = f"ticket-news:{news.delivery}"
    try:
        with session.begin_nested():
            session.add(WebhookReceipt(key=key, body="", at=now))
    except IntegrityError:
        raise Refused(409, f"delivery {news.delivery!r} was received before") from None


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
    if incident.state in FINISHED_STATES or (
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
