"""Who a step's targets are right now: `primary` and `secondary` from the rotations (overrides
included), `team_lead` and `director` by role, `responder:Name` by name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import EscalationPolicy, Incident, Responder, Role
from app.paging import oncall


def next_step_reaching_others(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    policy: EscalationPolicy,
    escalator: Responder,
) -> tuple[int, list[Responder]] | None:
    """The next step that reaches someone other than `escalator`, and who those others are."""
    for index in range(incident.escalation_step, len(policy.steps)):
        others = [
            r
            for r in reachable(session, now, policy.steps[index].targets, incident)
            if r.id != escalator.id
        ]
        if others:
            return index, others
    return None


def reachable(
    session: Session, now: dt.datetime, targets: list[str], incident: Incident | None = None
) -> list[Responder]:
    return [r for r in resolve(session, now, targets, incident) if r.verified and r.active]


def _service_admin(
    session: Session, now: dt.datetime, target: str, incident: Incident | None
) -> list[Responder]:
    """The catalog's administrator for the incident's service; with none named, the primary
    administrator's place is taken by whoever is on call (the backup's by nobody)."""
    service = incident.service if incident is not None else None
    admin = getattr(service, target) if service is not None else None
    if admin is not None:
        return [admin]
    return oncall.on_call_for(session, "primary", now) if target == "primary_admin" else []


def resolve(
    session: Session, now: dt.datetime, targets: list[str], incident: Incident | None = None
) -> list[Responder]:
    found: list[Responder] = []
    for target in targets:
        if target in ("primary_admin", "backup_admin"):
            candidates = _service_admin(session, now, target, incident)
        elif target in ("primary", "secondary"):
            candidates = oncall.on_call_for(session, target, now)
        elif target == "team_lead":
            candidates = oncall.with_role(session, Role.TEAM_LEAD)
        elif target == "director":
            candidates = oncall.with_role(session, Role.DIRECTOR)
        else:
            name = target.partition(":")[2]
            candidates = list(session.scalars(select(Responder).where(Responder.name == name)))
        found.extend(r for r in candidates if r not in found)
    return found
