"""Finding responders: by id (a form), by phone (an inbound text), who can be handed work."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Responder


def by_id(session: Session, responder_id: int | None) -> Responder | None:
    return session.get(Responder, responder_id) if responder_id else None


def by_phone(session: Session, phone: str | None) -> Responder | None:
    if not phone:
        return None
    return session.scalar(select(Responder).where(Responder.phone == phone))


def name_for(sessions: Callable[[], Session], phone: str) -> str | None:
    """The responder's name for a number, read in a session of its own (for what is printed
    beside a message, outside any request)."""
    with sessions() as session:
        return session.scalar(select(Responder.name).where(Responder.phone == phone))


def pageable(session: Session) -> list[Responder]:
    """Everyone an incident can be handed to: verified and active."""
    query = (
        select(Responder)
        .where(Responder.verified_at.is_not(None), Responder.active)
        .order_by(Responder.role, Responder.name)
    )
    return list(session.scalars(query))
