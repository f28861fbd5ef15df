"""Escalation on request: ESC from someone paged (someone else, now) and ESC from the owner of
an acknowledged incident (handed on to the next person, who must acknowledge it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.incidents.timeline import add_event
from app.models import EventKind, Incident, NotificationChannel, Responder
from app.paging import escalation, notify, targets


def escalate_now(
    session: Session, now: dt.datetime, incident: Incident, escalator: Responder, channel: str
) -> list[Responder]:
    """ESC: someone other than the person escalating, now. The chain jumps to the next step
    that reaches someone else; past the end, the team lead and the director are paged directly.
    Returns who is being paged."""
    policy = incident.policy or escalation.policy_for(session, incident)
    found = None
    if incident.next_escalation_at is not None and not escalation.in_reminders(incident, policy):
        found = targets.next_step_reaching_others(session, now, incident, policy, escalator)
    if found is not None:
        step, paged = found
        skipped = step - incident.escalation_step
        incident.escalation_step = step
        incident.next_escalation_at = now
        escalation.fire_due(session, now, incident, exclude={escalator.id})
        detail = f"escalated on request to step {step + 1}"
        detail += f" (skipping {skipped} step{'s' if skipped != 1 else ''})" if skipped else ""
    else:
        paged = [
            r
            for r in targets.reachable(session, now, ["team_lead", "director"])
            if r.id != escalator.id
        ]
        _page_at_once(session, now, incident, paged)
        incident.escalated = True
        detail = "escalated on request past the end of the chain: team lead and director paged"
    add_event(session, incident, now, EventKind.ESCALATED, escalator.name, channel, detail)
    return paged


def hand_on(
    session: Session, now: dt.datetime, incident: Incident, owner: Responder, channel: str
) -> list[Responder]:
    """ESC from the owner of an acknowledged incident: the chain asks again, from the next step
    that reaches someone else (from the first step when the rest reach nobody but the owner),
    the steps after it following at their usual spacing. With nobody else anywhere on the chain
    the team lead and the director are paged, and the chain follows if nobody answers.
    Returns who is being paged."""
    policy = incident.policy or escalation.policy_for(session, incident)
    incident.policy = policy
    incident.escalation_cycle = 0
    found = None
    for first in dict.fromkeys((min(incident.escalation_step, len(policy.steps) - 1), 0)):
        incident.escalation_step = first
        found = targets.next_step_reaching_others(session, now, incident, policy, owner)
        if found is not None:
            break
    # On the timeline before the pages, which say who handed it on.
    detail = (
        f"the chain asks again from step {found[0] + 1}"
        if found
        else "nobody else on the chain: the team lead and director paged"
    )
    add_event(session, incident, now, EventKind.HANDED_ON, owner.name, channel, detail)
    if found is None:
        paged = escalation.leads_fallback(session, now, {owner.id})
        _page_at_once(session, now, incident, paged)
        escalation.resume(session, now, incident)
        return paged
    step, paged = found
    incident.escalation_step = step
    # As if this step had just fallen due, so the ones after it keep their spacing.
    incident.escalation_started_at = now - dt.timedelta(seconds=policy.steps[step].after_seconds)
    incident.next_escalation_at = now
    escalation.fire_due(session, now, incident, exclude={owner.id})
    return paged


def _page_at_once(
    session: Session, now: dt.datetime, incident: Incident, people: list[Responder]
) -> None:
    """Outside the chain's steps: a text and a call to each, now."""
    for responder in people:
        for medium in (NotificationChannel.SMS, NotificationChannel.VOICE):
            notify.queue_page(session, now, incident, responder, medium, None, None)
