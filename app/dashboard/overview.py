"""What the dashboard shows: read-only views over incidents, calls, summaries and the team."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from app.incidents.service import GOAL
from app.models import (
    FINISHED_STATES,
    LIVE_STATES,
    Call,
    EscalationPolicy,
    Incident,
    IncidentState,
    Responder,
    Service,
    Summary,
)


def open_incidents(session: Session) -> list[Incident]:
    """Unacknowledged first, then by priority (CAS customers first within one), then newest."""
    unacked_first = case((Incident.state == IncidentState.OPEN, 0), else_=1)
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.state.in_(LIVE_STATES))
            .order_by(
                unacked_first,
                Incident.priority,
                Incident.priority_customer.desc(),
                Incident.id.desc(),
            )
            .options(selectinload(Incident.service), selectinload(Incident.owner))
        )
    )


def recent_closed(session: Session, limit: int = 20) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.state.in_(FINISHED_STATES))
            .order_by(Incident.updated_at.desc())
            .limit(limit)
        )
    )


def age(incident: Incident, now: dt.datetime) -> dt.timedelta:
    return now - incident.created_at


def goal_state(incident: Incident, now: dt.datetime) -> str:
    """How the 60-minute goal is holding, as the support process words it (in contact with
    the customer, not only acknowledged): met, missed, or (not yet) waiting / late."""
    if incident.first_contact_at is not None:
        return "met" if incident.first_contact_at - incident.created_at <= GOAL else "missed"
    return "late" if now - incident.created_at >= GOAL else "waiting"


def calls(session: Session, limit: int = 100) -> list[Call]:
    return list(
        session.scalars(
            select(Call)
            .order_by(Call.id.desc())
            .limit(limit)
            .options(selectinload(Call.incident).selectinload(Incident.service))
        )
    )


def summaries(session: Session) -> list[Summary]:
    """Outstanding first (soonest due), then the latest submitted."""
    pending = list(
        session.scalars(
            select(Summary).where(Summary.submitted_at.is_(None)).order_by(Summary.due_at)
        )
    )
    done = list(
        session.scalars(
            select(Summary)
            .where(Summary.submitted_at.is_not(None))
            .order_by(Summary.submitted_at.desc())
            .limit(30)
        )
    )
    return pending + done


def responders(session: Session) -> list[Responder]:
    return list(session.scalars(select(Responder).order_by(Responder.role, Responder.name)))


def services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)))


def policies(session: Session) -> list[EscalationPolicy]:
    return list(
        session.scalars(
            select(EscalationPolicy)
            .options(selectinload(EscalationPolicy.steps))
            .order_by(EscalationPolicy.priority.is_not(None), EscalationPolicy.priority)
        )
    )
