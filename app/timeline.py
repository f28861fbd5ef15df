"""An incident's timeline: every change, with who, when and through what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import EventKind, Incident, IncidentEvent
from app.tickets import outbox


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
    outbox.queue(session, event)
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
