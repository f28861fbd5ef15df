"""The caller's word on a fix: their texted answer to "is it fixed?", a reopening when it is
still broken, and closing (on their word, on the admin's word that they said so on the phone, or
without it once the reminders went unanswered)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import emails
from app.incidents import transitions
from app.incidents.commands import ActionError
from app.incidents.followups import REMINDERS, FollowUpPolicy
from app.incidents.service import GOAL
from app.incidents.timeline import add_event
from app.languages import words
from app.models import (
    CLOSED_IN_TICKET,
    NOREPLY,
    Channel,
    EventKind,
    Incident,
    IncidentState,
    NotificationChannel,
    Report,
    Responder,
)
from app.paging import broadcasts, escalation, notify
from app.phones import display
from app.responders import grammar


def caller_reply(
    session: Session, now: dt.datetime, number: str, body: str, policy: FollowUpPolicy
) -> str | None:
    """A text from someone who is not a responder: a caller answering "is it fixed?"."""
    report = session.scalar(
        select(Report)
        .join(Incident)
        .where(
            Report.at_number(number),
            Incident.state.in_(
                [IncidentState.RESOLVED, IncidentState.ACKNOWLEDGED, IncidentState.OPEN]
            ),
        )
        .order_by(Incident.resolved_at.is_(None), Incident.id.desc())
        .limit(1)
    )
    if report is None:
        return _after_closing(session, number, policy)
    incident = report.incident
    _ = words(report.language)
    address = emails.find_in(body)
    if address is not None:
        return _remember_email(session, now, incident, number, address, report.language)
    if incident.state != IncidentState.RESOLVED:
        return _(
            "{reference} is still being worked on; the on-call administrator will contact you "
            "at {number}."
        ).format(reference=incident.reference, number=display(report.callback_number))
    answer = grammar.caller_answer(body)
    if answer == "works":
        return confirm_works(session, now, incident, report, policy)
    if answer == "broken":
        return reopen(session, now, incident, report, policy)
    return _("{reference}: please reply WORKS if it works now, or BROKEN if not.").format(
        reference=incident.reference
    )


def _remember_email(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    number: str,
    address: str,
    language: str,
) -> str:
    """The caller texted their e-mail address: once its owner opens the link the worker
    e-mails it, what they are texted about it goes there too."""
    session.execute(
        update(Report)
        .where(Report.incident_id == incident.id, Report.at_number(number))
        .values(email=address, email_confirmed_at=None, email_confirm_at=now)
    )
    add_event(
        session,
        incident,
        now,
        EventKind.NOTE,
        display(number),
        Channel.SMS,
        f"the caller gave an e-mail address for updates: {address}",
    )
    _ = words(language)
    return _(
        "Thank you. We are e-mailing {address} a link: open it to also get updates about "
        "{reference} there."
    ).format(address=address, reference=incident.reference)


def _after_closing(session: Session, number: str, policy: FollowUpPolicy) -> str | None:
    """A caller texting about an incident that is already closed still gets an answer."""
    report = session.scalar(
        select(Report)
        .join(Incident)
        .where(
            Report.at_number(number),
            Incident.state == IncidentState.CLOSED,
        )
        .order_by(Incident.id.desc())
        .limit(1)
    )
    if report is None:
        return None  # not a caller we know: no action, no details
    _ = words(report.language)
    reference = report.incident.reference
    if policy.helpdesk_phone:
        return _(
            "{reference} is closed. If the problem is back, please call the help desk at {number}."
        ).format(reference=reference, number=policy.helpdesk_phone)
    return _(
        "{reference} is closed. If the problem is back, please call the after-hours line again."
    ).format(reference=reference)


def confirm_works(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    report: Report,
    policy: FollowUpPolicy,
    channel: str = Channel.SMS,
) -> str:
    """The caller says it works: by text, or (channel voice) pressing 1 on the line's call."""
    report.confirmation, report.confirmed_at = "works", now
    if incident.confirmed_at is None:
        by_call = channel == Channel.VOICE
        incident.confirmed_at, incident.confirmed_via = now, "call" if by_call else "sms"
        incident.confirm_reminder_at = None
        add_event(
            session,
            incident,
            now,
            EventKind.CONFIRMED,
            display(report.callback_number),
            channel,
            "the caller says it works" + (" (pressed 1 on the line's call)" if by_call else ""),
        )
        if incident.owner is not None:
            notify.notify_responder(
                session,
                now,
                incident.owner,
                f"{incident.reference}: the caller confirmed it works. Reply CLOSE "
                f"{incident.number} to close it.",
                incident,
            )
    _ = words(report.language)
    return _(
        "Thank you. {reference} will be closed. Call the help desk if it breaks again."
    ).format(reference=incident.reference)


def reopen(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    report: Report,
    policy: FollowUpPolicy,
    channel: str = Channel.SMS,
) -> str:
    """Still broken: open again and unacknowledged, the owner paged again (REOPENED), the
    chain resuming if nobody answers, the 60-minute clock restarted and the summary on hold."""
    try:
        transitions.compare_and_set(
            session,
            incident,
            [IncidentState.RESOLVED],
            state=IncidentState.OPEN,
            resolved_at=None,
            acknowledged_at=None,
            reopened_at=now,
            confirm_reminder_at=None,
            confirm_reminders=0,
            still_trying_at=now + GOAL,
            updated_at=now,
        )
    except transitions.Lost:
        _ = words(report.language)
        return _("Thank you. {reference} has changed since: nothing more is needed.").format(
            reference=incident.reference
        )
    summary = incident.summary
    if summary is not None and summary.submitted_at is None:
        # Not due until it is resolved again; resolving asks for it afresh.
        summary.remind_at = summary.overdue_at = summary.director_at = None
    report.confirmation, report.confirmed_at = "broken", now
    add_event(
        session,
        incident,
        now,
        EventKind.REOPENED,
        display(report.callback_number),
        channel,
        "the caller says it is still broken",
    )
    owner = incident.owner
    if owner is not None and owner.active and owner.verified:
        notify.queue_page(session, now, incident, owner, NotificationChannel.SMS, None, None)
    escalation.resume(session, now, incident)
    # The other callers on this outage were told it was fixed: they hear it is not, after all.
    broadcasts.queue(session, now, incident, broadcasts.News.REOPENED, but=report)
    _ = words(report.language)
    return _(
        "Sorry it is still broken. {reference} is reopened and the administrator has been paged "
        "again."
    ).format(reference=incident.reference)


def check_closing(incident: Incident, by_phone: bool, no_reply: bool) -> None:
    """A resolved incident closes on the caller's word: by text, by phone as the admin says, or
    (NOREPLY) when both reminders have gone unanswered. Raises ActionError saying which."""
    number = incident.number
    if incident.confirmed_at is not None or by_phone:
        return
    if no_reply and incident.confirm_reminders >= REMINDERS:
        return
    if no_reply:
        raise ActionError(
            f"The caller may still answer: CLOSE {number} NOREPLY works once the last reminder "
            f"has gone out. Until then call them ({display(incident.callback_number)}) or reply "
            f"CALL {number}."
        )
    hint = f" If they never answer, CLOSE {number} NOREPLY." * (
        incident.confirm_reminders >= REMINDERS
    )
    raise ActionError(
        f"The caller has not confirmed {incident.reference} yet. If they confirmed by phone, "
        f"reply CLOSE {number} PHONE.{hint}"
    )


def close(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    responder: Responder,
    channel: str,
    by_phone: bool = False,
    unconfirmed_because: str = "",
) -> str:
    """Close a resolved incident (`check_closing` has said it may): with no caller confirmation
    yet, the admin's CLOSE ... PHONE records that the caller confirmed on the phone, and CLOSE
    ... NOREPLY (or a ticket closed in the ticketing system, `unconfirmed_because`) that it
    closed without their word."""
    transitions.compare_and_set(
        session,
        incident,
        [IncidentState.RESOLVED],
        state=IncidentState.CLOSED,
        closed_at=now,
        updated_at=now,
        confirm_reminder_at=None,
    )
    detail = ""
    if incident.confirmed_at is None and by_phone:
        incident.confirmed_at, incident.confirmed_via = now, "phone"
        add_event(
            session,
            incident,
            now,
            EventKind.CONFIRMED,
            responder.name,
            channel,
            "the caller confirmed by phone",
        )
    elif incident.confirmed_at is None:
        incident.confirmed_via = CLOSED_IN_TICKET if unconfirmed_because else NOREPLY
        detail = "without the caller's confirmation: " + (
            unconfirmed_because or f"no reply to {incident.confirm_reminders} reminders"
        )
    add_event(session, incident, now, EventKind.CLOSED, responder.name, channel, detail)
    summary = incident.summary
    pending = summary is not None and summary.submitted_at is None
    unconfirmed = " without the caller's confirmation" if detail else ""
    return f"{incident.reference} closed{unconfirmed}." + (
        f" The work summary is still due: SUM {incident.number} <hours> <work>." if pending else ""
    )


def report_for(incident: Incident, number: str) -> Report | None:
    """The caller's report on this incident, by the number the line calls them on."""
    return next((r for r in incident.reports if r.reached_at(number)), None)
