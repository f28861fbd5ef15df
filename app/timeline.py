"""An incident's timeline: every change, with who, when and through what.

What else follows from an entry (the ticket outbox queueing it for the ticketing system) is a
subscriber the app registers at start-up in its sessions' `info`: it runs in the entry's own
transaction, so nothing that happened can miss it, and the timeline knows none of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import EventKind, Incident, IncidentEvent

Subscriber = Callable[[Session, IncidentEvent], None]

# The key in a session's `info` holding the subscribers every new entry is handed to.
SUBSCRIBERS = "timeline_subscribers"


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
    detail: str = "",
) -> IncidentEvent:
    event = IncidentEvent(
        incident=incident, at=at, kind=kind, actor=actor, channel=channel, detail=detail[:2000]
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
