"""The escalation chain: which policy, who its targets are right now, and when the next step is.

The chain lives on the incident row (`next_escalation_at`, `escalation_step`, `escalation_cycle`).
Opening an incident fires the first step in the same transaction; the worker fires later steps
when due. A chain never ends silently: once every step has run, the team lead and the director
are told out of band, and the escalated steps are paged again every `repeat_after` until someone
acknowledges.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, case, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from app.incidents.timeline import add_event
from app.models import (
    Channel,
    EscalationPolicy,
    EscalationStep,
    EventKind,
    Incident,
    IncidentState,
    NotificationChannel,
    Responder,
)
from app.outbox import mail
from app.outbox.claims import skip_locked
from app.paging import notify, targets
from app.paging.policy import BUSINESS_HOURS_POLICY, DEFAULT_POLICY, save_policy

log = logging.getLogger(__name__)

# A step overdue by more than this when a later one is due too (the worker was stopped, the
# clock jumped) is recorded as skipped: only the chain's current step is paged.
CATCH_UP_GRACE = dt.timedelta(minutes=2)
MIN_REPEAT_AFTER = dt.timedelta(minutes=1)


def policy_for(session: Session, incident: Incident) -> EscalationPolicy:
    """A business-hours report: the policy named `business_hours` (built in unless the roster
    writes one). Otherwise the policy for its priority, else `default`, else the built-in one."""
    if incident.business_hours:
        fallback = BUSINESS_HOURS_POLICY
        wanted = EscalationPolicy.name == fallback.name
    else:
        fallback = DEFAULT_POLICY
        wanted = or_(
            EscalationPolicy.priority == incident.priority,
            EscalationPolicy.name == fallback.name,
        )
    # One statement, its steps joined: opening an incident pages inside the caller's request.
    query = (
        select(EscalationPolicy)
        .where(wanted)
        .order_by(
            case((EscalationPolicy.priority == incident.priority, 0), else_=1), EscalationPolicy.id
        )
        .limit(1)
        .options(joinedload(EscalationPolicy.steps))
    )
    policy = session.scalars(query).unique().first()
    if policy is None:
        policy = save_policy(session, fallback)
        session.flush()
    return policy


def start(session: Session, now: dt.datetime, incident: Incident) -> None:
    """Begin (or, after a reopen, restart) the chain and fire whatever is due at once."""
    policy = policy_for(session, incident)
    incident.policy = policy
    incident.escalation_started_at = now
    incident.escalation_step = 0
    incident.escalation_cycle = 0
    incident.next_escalation_at = now + dt.timedelta(seconds=policy.steps[0].after_seconds)
    # Written with the row (a new incident's INSERT), before the pages name it by id.
    session.flush()
    fire_due(session, now, incident)


def resume(session: Session, now: dt.datetime, incident: Incident) -> None:
    """Reopened: the owner was paged directly; the rest of the chain follows from now if nobody
    answers, as if the first step had just fired."""
    policy = policy_for(session, incident)
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
    incident.still_trying_at = None
    return notify.cancel_queued_pages(session, incident)


def fire_due(
    session: Session, now: dt.datetime, incident: Incident, exclude: Collection[int] = ()
) -> int:
    """Fire the step that has fallen due. After a gap (a stopped worker, a clock jump) several
    may be due: only the current one is paged and the others are recorded as skipped."""
    fired = 0
    policy = incident.policy or policy_for(session, incident)
    while (
        incident.state == IncidentState.OPEN
        and incident.next_escalation_at is not None
        and incident.next_escalation_at <= now
    ):
        following = _following(incident, policy)
        overdue = now - incident.next_escalation_at > CATCH_UP_GRACE
        if overdue and following[2] <= now:
            _record_skipped(session, now, incident, policy)
        else:
            if in_reminders(incident, policy) and not _told_ran_out(incident):
                _chain_ran_out(session, now, incident, policy)
            _fire_step(session, now, incident, policy, exclude)
            fired += 1
        incident.escalation_step, incident.escalation_cycle, incident.next_escalation_at = following
    return fired


def hurry_next_step(session: Session, now: dt.datetime, incident: Incident) -> bool:
    """Bring the next step forward to now (failover); False when the chain has stopped."""
    if incident.next_escalation_at is None:
        return False
    incident.next_escalation_at = now
    fire_due(session, now, incident)
    return True


def due_incidents(session: Session, now: dt.datetime, limit: int = 100) -> list[Incident]:
    """Incidents whose next step is due, locked for this worker (skipped by any other)."""
    return list(
        session.scalars(
            skip_locked(
                select(Incident)
                .where(_step_due(now))
                .order_by(Incident.next_escalation_at)
                .limit(limit)
            )
        )
    )


def _step_due(now: dt.datetime) -> ColumnElement[bool]:
    return and_(Incident.next_escalation_at <= now, Incident.state == IncidentState.OPEN)


def advance_due(session: Session, now: dt.datetime, limit: int = 100) -> int:
    # Most passes find no step due: a plain read says so in one round trip, where taking the
    # locks costs a transaction (BEGIN, the locking read, COMMIT).
    if not session.scalar(select(exists().where(_step_due(now)))):
        return 0
    fired = sum(fire_due(session, now, incident) for incident in due_incidents(session, now, limit))
    session.commit()
    return fired


# --- one step ---------------------------------------------------------------------------------


def escalated_steps(policy: EscalationPolicy) -> list[EscalationStep]:
    """The steps paged again and again once the chain has run out: from the first step marked
    `escalate: true` to the end (the last step when none is marked)."""
    marked = [i for i, step in enumerate(policy.steps) if step.marks_escalated]
    return policy.steps[marked[0] if marked else len(policy.steps) - 1 :]


def in_reminders(incident: Incident, policy: EscalationPolicy) -> bool:
    return incident.escalation_cycle > policy.repeat


def _told_ran_out(incident: Incident) -> bool:
    """Whether this run of the chain (since it last started) has told the leads it ran out."""
    began = incident.escalation_started_at or incident.created_at
    return any(e.kind == EventKind.ESCALATION_ENDED and e.at >= began for e in incident.events)


def _fire_step(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    policy: EscalationPolicy,
    exclude: Collection[int],
) -> None:
    reminder = in_reminders(incident, policy)
    steps = escalated_steps(policy) if reminder else [policy.steps[incident.escalation_step]]
    number = incident.escalation_step + 1
    for step in steps:
        people = targets.resolve(session, now, step.targets, incident)
        reachable = [r for r in people if r.verified and r.active and r.id not in exclude]
        fallback = [] if reachable else leads_fallback(session, now, exclude)
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
        detail = _step_detail(step, number, people, reachable, fallback, reminder)
        if not (reachable or fallback):
            log.error("incident %s: nobody to page at step %d", incident.reference, number)
        add_event(
            session, incident, now, EventKind.ESCALATION_STEP, "escalation", Channel.WORKER, detail
        )
    if any(step.marks_escalated for step in steps) and not incident.escalated:
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


def _step_detail(
    step: EscalationStep,
    number: int,
    people: list[Responder],
    reachable: list[Responder],
    fallback: list[Responder],
    reminder: bool,
) -> str:
    what = "again, until someone acknowledges" if reminder else ""
    detail = f"step {number}: {', '.join(step.targets)} by {', '.join(step.channels)} {what}"
    skipped = [r.name for r in people if r not in reachable]
    if skipped:
        detail += f"; not paged (number not verified, inactive or escalating): {', '.join(skipped)}"
    if fallback:
        detail += f"; nobody else reachable, so paged {', '.join(r.name for r in fallback)}"
    elif not reachable:
        detail += "; nobody could be paged at this step"
    return detail.replace("  ", " ").strip()


def leads_fallback(session: Session, now: dt.datetime, exclude: Collection[int]) -> list[Responder]:
    """Silence is never the end of it: with nobody reachable, go to the leads at once."""
    for role in ("team_lead", "director"):
        found = [r for r in targets.reachable(session, now, [role]) if r.id not in exclude]
        if found:
            return found
    return []


def _record_skipped(
    session: Session, now: dt.datetime, incident: Incident, policy: EscalationPolicy
) -> None:
    assert incident.next_escalation_at is not None
    late = int((now - incident.next_escalation_at).total_seconds() // 60)
    add_event(
        session,
        incident,
        now,
        EventKind.ESCALATION_SKIPPED,
        "escalation",
        Channel.WORKER,
        f"step {incident.escalation_step + 1} (due {late} min ago) not paged: it fell due while no "
        "worker was running, and a later step is due now",
    )


# --- scheduling -------------------------------------------------------------------------------


def _following(incident: Incident, policy: EscalationPolicy) -> tuple[int, int, dt.datetime]:
    """(step, cycle, when) of the step after the current one. Past the whole chain (its steps,
    `repeat` times over) come the reminder rounds: the escalated steps every `repeat_after`."""
    assert incident.next_escalation_at is not None
    # A policy written with `repeat_after: 0m` still waits a minute between reminder rounds.
    repeat_after = max(dt.timedelta(seconds=policy.repeat_after_seconds), MIN_REPEAT_AFTER)
    first_escalated = len(policy.steps) - len(escalated_steps(policy))
    if in_reminders(incident, policy):
        return (
            first_escalated,
            incident.escalation_cycle + 1,
            (incident.next_escalation_at + repeat_after),
        )
    step, cycle = incident.escalation_step + 1, incident.escalation_cycle
    if step >= len(policy.steps):
        if cycle >= policy.repeat:
            return first_escalated, cycle + 1, incident.next_escalation_at + repeat_after
        step, cycle = 0, cycle + 1
    started = incident.escalation_started_at or incident.created_at
    cycle_length = policy.steps[-1].after_seconds + policy.repeat_after_seconds
    # Measured from the chain's start, so a step brought forward (failover, escalate now) does
    # not delay the ones after it.
    offset = cycle * cycle_length + policy.steps[step].after_seconds
    return step, cycle, started + dt.timedelta(seconds=offset)


def _chain_ran_out(
    session: Session, now: dt.datetime, incident: Incident, policy: EscalationPolicy
) -> None:
    """The first reminder round: every step has run without an acknowledgement. The team lead
    and the director hear it by SMS and e-mail, with who was tried and how."""
    every = max(policy.repeat_after_seconds, int(MIN_REPEAT_AFTER.total_seconds())) // 60
    tried = notify.tried(incident.pages) or "nobody"
    add_event(
        session,
        incident,
        now,
        EventKind.ESCALATION_ENDED,
        "escalation",
        Channel.WORKER,
        f"every step of the policy has run without an acknowledgement (tried {tried}); the "
        f"team lead and director are told, and the escalated steps are paged every {every} min "
        "until someone acknowledges",
    )
    minutes = int((now - incident.created_at).total_seconds() // 60)
    text = (
        f"{incident.reference} {incident.service_name}: nobody has acknowledged in {minutes} min. "
        f"Tried {tried}. Paging again every {every} min. Caller: {incident.callback_number}."
    )
    for responder in targets.resolve(session, now, ["team_lead", "director"]):
        if responder.active:
            notify.notify_responder(session, now, responder, text, incident, limit=320)
        if responder.email:
            mail.queue_email(
                session,
                now,
                responder.email,
                f"{incident.reference}: no acknowledgement after {minutes} min",
                text + "\n\nEvery page so far:\n" + pages_report(incident),
                incident,
            )


def pages_report(incident: Incident) -> str:
    return "\n".join(
        f"- {int((page.created_at - incident.created_at).total_seconds() // 60)} min after "
        f"opening: {page.channel} to "
        f"{page.responder.name if page.responder else page.to_number}: {page.status}"
        + (f" ({page.last_error})" if page.last_error else "")
        for page in incident.pages
    )
