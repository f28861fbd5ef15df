"""An incident's timeline: every change, with who, when and through what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.models import EventKind, Incident, IncidentEvent


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
    return event
