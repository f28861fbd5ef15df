"""After the acknowledgement: the caller confirms the fix, the admin closes, and nothing is left
hanging (an unconfirmed resolution, a summary not written, callers piling onto one outage).

Every later nudge is a due time on a row; `run_due` (the worker) acts on what has come due.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.clock import local
from app.incidents import addresses, summaries
from app.incidents.addresses import AddressLinks
from app.incidents.summaries import SummaryLinks
from app.incidents.timeline import add_event
from app.languages import words
from app.models import (
    Channel,
    EventKind,
    Incident,
    IncidentState,
    Report,
    Responder,
    Role,
    Summary,
)
from app.outbox import mail
from app.outbox.claims import skip_locked
from app.paging import broadcasts, escalation, notify, oncall
from app.phones import display

T = TypeVar("T")


@dataclass(frozen=True)
class FollowUpPolicy:
    zone: ZoneInfo
    confirmation_reminder: dt.timedelta
    summary_due: dt.timedelta
    summary_remind_before: dt.timedelta
    reporter_window: dt.timedelta
    links: SummaryLinks
    # Links an address given for updates is confirmed by (incidents/addresses.py).
    address_links: AddressLinks
    # The last reminder about an unconfirmed resolution, counted from the resolution.
    confirmation_final: dt.timedelta = dt.timedelta(hours=24)
    # A summary this long overdue goes to the director.
    summary_to_director: dt.timedelta = dt.timedelta(hours=24)
    # The help desk's number as callers know it, for "call the help desk if it is urgent".
    helpdesk_phone: str = ""
    # Contact with the caller is the promise: the owner is reminded this long before it is due.
    contact_within: dt.timedelta = dt.timedelta(minutes=60)
    contact_remind_before: dt.timedelta = dt.timedelta(minutes=15)

    def first_contact_check(self, incident: Incident, now: dt.datetime) -> dt.datetime | None:
        """When to look whether a just-acknowledged incident's caller has been reached: the
        owner's reminder before the goal. None when reached, or when the goal has passed
        already (the escalation and the "still trying" text have spoken by then)."""
        deadline = incident.created_at + self.contact_within
        if incident.first_contact_at is not None or now >= deadline:
            return None
        return max(now, deadline - self.contact_remind_before)


# --- resolution and the caller's word ---------------------------------------------------------


def on_resolved(
    session: Session, now: dt.datetime, incident: Incident, owner: Responder, policy: FollowUpPolicy
) -> None:
    """Ask every caller whether it works, start the confirmation clock, ask for the summary."""
    broadcasts.queue(session, now, incident, broadcasts.News.FIXED)
    incident.confirm_reminder_at = now + policy.confirmation_reminder
    summaries.request(
        session,
        now,
        incident,
        owner,
        policy.summary_due,
        policy.summary_remind_before,
        policy.links,
        policy.zone,
    )


# After this many reminders without an answer from the caller, the owner may close without it.
REMINDERS = 2


# --- many callers, one outage -----------------------------------------------------------------


def _send_reporter_update(session: Session, now: dt.datetime, incident: Incident) -> None:
    incident.reporter_update_at = None
    incident.reporter_update_sent_at = now
    count = incident.callers
    if incident.state not in (IncidentState.OPEN, IncidentState.ACKNOWLEDGED):
        return
    recipients = [incident.owner] if incident.owner else escalation.paged_so_far(session, incident)
    for responder in recipients:
        notify.notify_responder(
            session,
            now,
            responder,
            f"{incident.reference} {incident.service_name}: {count} callers now.",
            incident,
        )
    add_event(
        session,
        incident,
        now,
        EventKind.CALLERS_UPDATE,
        "worker",
        Channel.WORKER,
        f"{count} callers; told {', '.join(r.name for r in recipients) or 'nobody'}",
    )


# --- the worker's share -----------------------------------------------------------------------


def run_due(session: Session, now: dt.datetime, policy: FollowUpPolicy, limit: int = 100) -> int:
    def due(query: Select[T]) -> list[T]:
        return list(session.scalars(skip_locked(query.limit(limit))))

    done = 0
    for incident in due(select(Incident).where(Incident.still_trying_at <= now)):
        incident.still_trying_at = None
        _tell_callers_still_trying(session, now, incident, policy)
        done += 1
    for incident in due(select(Incident).where(Incident.contact_check_at <= now)):
        incident.contact_check_at = None
        _check_contact(session, now, incident, policy)
        done += 1
    for incident in due(select(Incident).where(Incident.reporter_update_at <= now)):
        _send_reporter_update(session, now, incident)
        done += 1
    for incident in due(select(Incident).where(Incident.confirm_reminder_at <= now)):
        incident.confirm_reminder_at = None
        _remind_unconfirmed(session, now, incident, policy)
        done += 1
    for report in due(select(Report).where(Report.email_confirm_at <= now)):
        addresses.ask(session, now, report, policy.address_links)
        done += 1
    unsent = Summary.submitted_at.is_(None)
    for summary in due(select(Summary).where(Summary.remind_at <= now, unsent)):
        summary.remind_at = None
        _remind_summary(session, now, summary, policy)
        done += 1
    for summary in due(select(Summary).where(Summary.overdue_at <= now, unsent)):
        summary.overdue_at = None
        summary.director_at = now + policy.summary_to_director
        _tell_overdue(session, now, summary, policy, Role.TEAM_LEAD)
        done += 1
    for summary in due(select(Summary).where(Summary.director_at <= now, unsent)):
        summary.director_at = None
        _tell_overdue(session, now, summary, policy, Role.DIRECTOR)
        done += 1
    session.commit()
    return done


def _tell_callers_still_trying(
    session: Session, now: dt.datetime, incident: Incident, policy: FollowUpPolicy
) -> None:
    """60 minutes and nobody has acknowledged: one honest text to everyone who called."""
    if incident.state != IncidentState.OPEN:
        return

    def body(_number: str, language: str) -> str:
        _ = words(language)
        text = _(
            "{reference}: we are still trying to reach the on-call administrator about "
            "{service}. Your report is not lost; they will call you as soon as they answer."
        ).format(reference=incident.reference, service=incident.service_for_callers)
        return text + _urgent(language, policy)

    told = notify.text_every_caller(session, now, incident, body)
    texted = [number for number, ok in told if ok]
    add_event(
        session,
        incident,
        now,
        EventKind.STILL_TRYING,
        "worker",
        Channel.WORKER,
        f"no acknowledgement after 60 min: {len(texted)} of {len(told)} callers texted",
    )


def _check_contact(
    session: Session, now: dt.datetime, incident: Incident, policy: FollowUpPolicy
) -> None:
    """Acknowledged is not contacted: the owner is reminded before the goal, and when it passes
    the team lead is told and every caller hears honestly where things stand."""
    if (
        incident.first_contact_at is not None
        or incident.state != IncidentState.ACKNOWLEDGED
        or incident.owner is None
    ):
        return
    owner, number = incident.owner, incident.number
    deadline = incident.created_at + policy.contact_within
    goal = int(policy.contact_within.total_seconds() // 60)
    if now < deadline:
        left = math.ceil((deadline - now).total_seconds() / 60)
        reach = (
            f"Reply CALL {number} to be put through to {display(incident.callback_number)}"
            if incident.callback_number
            else f"There is no callback number; reply JOIN {number} to open a joint call"
        )
        notify.notify_responder(
            session,
            now,
            owner,
            f"{incident.reference}: {left} min left to reach the caller ({goal}-minute goal). "
            f"{reach}, or CONTACTED {number} once you have spoken.",
            incident,
            limit=320,
        )
        incident.contact_check_at = deadline
        add_event(
            session,
            incident,
            now,
            EventKind.CONTACT_REMINDER,
            "worker",
            Channel.WORKER,
            f"{owner.name} reminded: {left} min left to reach the caller",
        )
        return
    acknowledged = local(incident.acknowledged_at or now, policy.zone, "%H:%M")
    for lead in oncall.with_role(session, Role.TEAM_LEAD):
        text = (
            f"{incident.reference} {incident.service_name}: acknowledged by {owner.name} at "
            f"{acknowledged}, but nobody has reached the caller in {goal} min. Caller: "
            f"{display(incident.callback_number)}."
        )
        notify.notify_responder(session, now, lead, text, incident, limit=320)
        if lead.email:
            mail.queue_email(
                session,
                now,
                lead.email,
                f"{incident.reference}: caller not reached",
                text,
                incident,
            )

    def body(_number: str, language: str) -> str:
        _ = words(language)
        text = _(
            "{reference}: the administrator has your report about {service} but has not "
            "reached you yet."
        ).format(reference=incident.reference, service=incident.service_for_callers)
        return text + _urgent(language, policy)

    told = notify.text_every_caller(session, now, incident, body)
    add_event(
        session,
        incident,
        now,
        EventKind.CONTACT_OVERDUE,
        "worker",
        Channel.WORKER,
        f"acknowledged but no contact with the caller in {goal} min: the team lead is told; "
        f"{sum(ok for _, ok in told)} of {len(told)} callers texted",
    )


def _remind_unconfirmed(
    session: Session, now: dt.datetime, incident: Incident, policy: FollowUpPolicy
) -> None:
    """At 2 h and again at 24 h; after the last, the owner may close it without the caller."""
    if incident.state != IncidentState.RESOLVED or incident.owner is None:
        return
    incident.confirm_reminders += 1
    resolved = incident.resolved_at or now
    number = incident.number
    last = incident.confirm_reminders >= REMINDERS
    if not last:
        incident.confirm_reminder_at = max(resolved + policy.confirmation_final, now)
    then = (
        f"If you cannot reach them, reply CLOSE {number} NOREPLY."
        if last
        else f"then CLOSE {number} PHONE."
    )
    notify.notify_responder(
        session,
        now,
        incident.owner,
        f"{incident.reference} was resolved at {local(resolved, policy.zone, '%a %H:%M')} but "
        f"the caller has not confirmed. Call them: {display(incident.callback_number)} or "
        f"reply CALL {number}; {then}",
        incident,
        limit=320,
    )
    add_event(
        session,
        incident,
        now,
        EventKind.CONFIRMATION_REMINDER,
        "worker",
        Channel.WORKER,
        f"reminder {incident.confirm_reminders} to {incident.owner.name}",
    )


def _remind_summary(
    session: Session, now: dt.datetime, summary: Summary, policy: FollowUpPolicy
) -> None:
    incident = summary.incident
    notify.notify_responder(
        session,
        now,
        summary.responder,
        f"Reminder: the work summary for {incident.reference} is due at "
        f"{local(summary.due_at, policy.zone)}. Reply SUM {incident.number} <hours> "
        f"<what you did>, or use {policy.links.make(summary, now)}",
        incident,
        limit=320,
    )


def _tell_overdue(
    session: Session, now: dt.datetime, summary: Summary, policy: FollowUpPolicy, role: Role
) -> None:
    """Overdue: the team lead hears at once; still missing a day later, the director."""
    incident = summary.incident
    late = now - summary.due_at
    text = (
        f"The work summary for {incident.reference} ({incident.service_name}) from "
        f"{summary.responder.name} was due {local(summary.due_at, policy.zone, '%a %d %b %H:%M')}"
        " and has not come in"
        + (f" ({int(late.total_seconds() // 3600)} h late)." if role == Role.DIRECTOR else ".")
    )
    people = oncall.with_role(session, role)
    for person in people:
        notify.notify_responder(session, now, person, text, incident, limit=320)
        if person.email:
            mail.queue_email(
                session,
                now,
                person.email,
                f"Overdue work summary: {incident.reference}",
                text,
                incident,
            )
    add_event(
        session,
        incident,
        now,
        EventKind.SUMMARY_OVERDUE,
        "worker",
        Channel.WORKER,
        "told " + (", ".join(p.name for p in people) or f"nobody (no {role.replace('_', ' ')})"),
    )


def _urgent(language: str, policy: FollowUpPolicy) -> str:
    """Where an urgent caller can turn meanwhile: the help desk, when the line knows its number."""
    if not policy.helpdesk_phone:
        return ""
    _ = words(language)
    return " " + _("If it is urgent, call the help desk at {number}.").format(
        number=policy.helpdesk_phone
    )
