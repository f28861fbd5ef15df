"""The escalation chain: which policy, who its targets are right now, and when the next step is.

The chain lives on the incident row (`next_escalation_at`, `escalation_step`, ...). Opening an
incident fires the first step in the same transaction; the worker fires later steps when due.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Channel,
    EscalationPolicy,
    EventKind,
    Incident,
    IncidentState,
    NotificationChannel,
    Responder,
    Role,
)
from app.paging import notify, oncall
from app.paging.policy import DEFAULT_POLICY, save_policy
from app.timeline import add_event

log = logging.getLogger(__name__)


def policy_for(session: Session, priority: int) -> EscalationPolicy:
    """The policy for this priority, else the one named `default`, else the built-in default."""
    policy = session.scalar(select(EscalationPolicy).where(EscalationPolicy.priority == priority))
    policy = policy or session.scalar(
        select(EscalationPolicy).where(EscalationPolicy.name == DEFAULT_POLICY.name)
    )
    if policy is None:
        policy = save_policy(session, DEFAULT_POLICY)
        session.flush()
    return policy


def start(session: Session, now: dt.datetime, incident: Incident) -> None:
    """Begin (or, after a reopen, restart) the chain and fire whatever is due at once."""
    policy = policy_for(session, incident.priority)
    incident.policy = policy
    incident.escalation_started_at = now
    incident.escalation_step = 0
    incident.escalation_cycle = 0
    incident.next_escalation_at = now + dt.timedelta(seconds=policy.steps[0].after_seconds)
    fire_due(session, now, incident)


def resume(session: Session, now: dt.datetime, incident: Incident) -> None:
    """Reopened: the owner was paged directly; the rest of the chain follows from now if nobody
    answers, as if the first step had just fired."""
    policy = policy_for(session, incident.priority)
    incident.policy = policy
    if len(policy.steps) < 2:
        start(session, now, incident)
        return
    incident.escalation_started_at = now - dt.timedelta(seconds=policy.steps[0].after_seconds)
    incident.escalation_step = 1
    incident.escalation_cycle = 0
    incident.next_escalation_at = incident.escalation_started_at + dt.timedelta(
        seconds=policy.steps[1].after_seconds
    )


def paged_so_far(session: Session, incident: Incident) -> list[Responder]:
    """Everyone who has had a page about this incident, in the order they were first paged."""
    seen: list[Responder] = []
    for page in incident.pages:
        if page.responder is not None and page.responder not in seen:
            seen.append(page.responder)
    return seen


def stop(session: Session, incident: Incident) -> int:
    """Acknowledged (or otherwise handled): no more steps, and unsent pages are cancelled."""
    incident.next_escalation_at = None
    return notify.cancel_queued_pages(session, incident)


def fire_due(session: Session, now: dt.datetime, incident: Incident) -> int:
    """Fire every step that has fallen due (more than one after a stopped worker or clock jump)."""
    fired = 0
    while (
        incident.state == IncidentState.OPEN
        and incident.next_escalation_at is not None
        and incident.next_escalation_at <= now
    ):
        _fire_step(session, now, incident)
        fired += 1
    return fired


def hurry_next_step(session: Session, now: dt.datetime, incident: Incident) -> bool:
    """Bring the next step forward to now (failover, escalate now); False at the chain's end."""
    if incident.next_escalation_at is None:
        return False
    incident.next_escalation_at = now
    fire_due(session, now, incident)
    return True


def escalate_now(
    session: Session, now: dt.datetime, incident: Incident, actor: str, channel: str
) -> bool:
    moved = hurry_next_step(session, now, incident)
    if not moved:
        # The chain has run out: go to the team lead and director directly.
        for responder in _targets(session, now, ["team_lead", "director"]):
            for medium in (NotificationChannel.SMS, NotificationChannel.VOICE):
                notify.queue_page(session, now, incident, responder, medium, None, None)
        incident.escalated = True
    add_event(session, incident, now, EventKind.ESCALATED, actor, channel, "escalated on request")
    return True


def due_incidents(session: Session, now: dt.datetime, limit: int = 100) -> list[Incident]:
    """Incidents whose next step is due, locked for this worker (skipped by any other)."""
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.next_escalation_at <= now, Incident.state == IncidentState.OPEN)
            .order_by(Incident.next_escalation_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def advance_due(session: Session, now: dt.datetime, limit: int = 100) -> int:
    fired = sum(fire_due(session, now, incident) for incident in due_incidents(session, now, limit))
    session.commit()
    return fired


def _fire_step(session: Session, now: dt.datetime, incident: Incident) -> None:
    policy = incident.policy or policy_for(session, incident.priority)
    step = policy.steps[incident.escalation_step]
    responders = _targets(session, now, step.targets)
    reachable = [r for r in responders if r.verified and r.active]
    fallback = []
    if not reachable:
        # Silence is never the end of it: with nobody reachable, go to the leads at once.
        for role in ("team_lead", "director"):
            fallback = [r for r in _targets(session, now, [role]) if r.verified and r.active]
            if fallback:
                break
    for responder in reachable or fallback:
        for channel in step.channels:
            notify.queue_page(
                session,
                now,
                incident,
                responder,
                NotificationChannel(channel),
                incident.escalation_step,
                incident.escalation_cycle,
            )
    skipped = [r.name for r in responders if r not in reachable]
    detail = f"step {incident.escalation_step + 1}: {', '.join(step.targets)} by " + ", ".join(
        step.channels
    )
    if skipped:
        detail += f"; not paged (number not verified or inactive): {', '.join(skipped)}"
    if fallback:
        detail += f"; nobody else reachable, so paged {', '.join(r.name for r in fallback)}"
    elif not reachable:
        detail += "; nobody could be paged at this step"
        log.error(
            "incident %s: nobody to page at step %d",
            incident.reference,
            incident.escalation_step + 1,
        )
    add_event(
        session, incident, now, EventKind.ESCALATION_STEP, "escalation", Channel.WORKER, detail
    )
    if step.marks_escalated and not incident.escalated:
        incident.escalated = True
        add_event(
            session,
            incident,
            now,
            EventKind.ESCALATED,
            "escalation",
            Channel.WORKER,
            "no acknowledgement: escalated",
        )
    _schedule_next(session, now, incident, policy)


def _schedule_next(
    session: Session, now: dt.datetime, incident: Incident, policy: EscalationPolicy
) -> None:
    started = incident.escalation_started_at or incident.created_at
    cycle_length = policy.steps[-1].after_seconds + policy.repeat_after_seconds
    if incident.escalation_step + 1 < len(policy.steps):
        incident.escalation_step += 1
    elif incident.escalation_cycle < policy.repeat:
        incident.escalation_step = 0
        incident.escalation_cycle += 1
    else:
        incident.next_escalation_at = None
        add_event(
            session,
            incident,
            now,
            EventKind.ESCALATION_ENDED,
            "escalation",
            Channel.WORKER,
            "every step of the policy has run without an acknowledgement",
        )
        return
    offset = incident.escalation_cycle * cycle_length
    offset += policy.steps[incident.escalation_step].after_seconds
    # Measured from the chain's start, so a step brought forward (failover, escalate now) does
    # not delay the ones after it; steps missed while no worker ran fire at once.
    incident.next_escalation_at = started + dt.timedelta(seconds=offset)


def _targets(session: Session, now: dt.datetime, targets: list[str]) -> list[Responder]:
    found: list[Responder] = []
    for target in targets:
        if target in ("primary", "secondary"):
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
