"""References such as AH-1042: reading them as people type them, speaking them, finding the
incident they name. Every channel goes through here."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import REFERENCE_OFFSET, Incident

_REFERENCE = re.compile(r"^\s*(?:ah)?[\s#:-]*(\d{1,9})\s*$", re.IGNORECASE)


class IncidentNotFound(LookupError):
    pass


def spoken_reference(reference: str) -> str:
    """`AH-1042` -> `A, H, 1, 0, 4, 2`: each character on its own, with room to write it down."""
    return ", ".join(ch for ch in reference if ch.isalnum())


def number_to_id(number: int) -> int | None:
    """The number people type (1042) -> the incident id, or None when it cannot be one."""
    incident_id = number - REFERENCE_OFFSET
    return incident_id if incident_id > 0 else None


def parse_reference(text: str) -> int | None:
    """`AH-1042`, `ah 1042`, `1042` -> the incident id, or None."""
    match = _REFERENCE.match(text or "")
    return number_to_id(int(match[1])) if match else None


def get_by_reference(session: Session, reference: str) -> Incident:
    incident_id = parse_reference(reference)
    incident = (
        session.scalar(
            select(Incident)
            .where(Incident.id == incident_id)
            .options(
                selectinload(Incident.events),
                selectinload(Incident.reports),
                selectinload(Incident.notifications),
            )
        )
        if incident_id
        else None
    )
    if incident is None:
        raise IncidentNotFound(reference)
    return incident
