"""Callers who cannot get texts (a landline, a number the carrier refuses): the owner is told at
once to call them, and "is it fixed?" is asked by a call from the line instead, retried once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.incidents.timeline import add_event
from app.models import (
    Channel,
    EventKind,
    Incident,
    IncidentState,
    Notification,
    NotificationChannel,
    NotificationKind,
    Report,
)
from app.paging import notify
from app.phones import display

# A confirmation call nobody answered is placed once more, this much later.
RETRY_AFTER = dt.timedelta(minutes=15)
CALLS_PER_NUMBER = 2


def texts_failed(session: Session, now: dt.datetime, notification: Notification) -> None:
    """A text to a caller failed for good: remember the number, tell the owner (or, before
    anyone owns it, whoever acknowledges hears it then), and if the fix is waiting for their
    word, ask by a call."""
    incident, number = notification.incident, notification.to_number
    if incident is None or notify.texts_failed_before(session, incident, number):
        return
    # This caller's reports only: in a storm an incident has thousands, and many callers are on
    # landlines. The ORM's UPDATE also sets the attribute on any of them already loaded.
    session.execute(
        update(Report)
        .where(Report.incident_id == incident.id, Report.at_number(number))
        .values(texts_fail_since=now)
    )
    add_event(
        session,
        incident,
        now,
        EventKind.CALLER_NO_TEXTS,
        "worker",
        Channel.WORKER,
        f"{display(number)} cannot receive texts ({notification.last_error or 'undelivered'}); "
        "the owner is to call them",
    )
    owner = incident.owner
    if owner is not None and incident.state != IncidentState.CLOSED:
        notify.notify_responder(
            session,
            now,
            owner,
            f"{incident.reference}: the caller at {display(number)} can't receive texts: call "
            f"them (reply CALL {incident.number} to be connected).",
            incident,
        )
    if incident.state == IncidentState.RESOLVED:
        ask_by_call(session, now, incident, number)


def ask_by_call(
    session: Session, now: dt.datetime, incident: Incident, number: str
) -> Notification | None:
    """Queue the "is it fixed? press 1 or 2" call to a caller, unless both tries are spent."""
    if calls_placed(session, incident, number) >= CALLS_PER_NUMBER:
        return None
    call = notify.queue(
        session,
        now,
        kind=NotificationKind.CALLER,
        channel=NotificationChannel.VOICE,
        to=number,
        body="is it fixed?",
        incident=incident,
    )
    add_event(
        session,
        incident,
        now,
        EventKind.CONFIRMATION_CALL,
        "worker",
        Channel.WORKER,
        f"calling {display(number)} to ask whether it works",
    )
    return call


def calls_placed(session: Session, incident: Incident, number: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.incident_id == incident.id,
                Notification.kind == NotificationKind.CALLER,
                Notification.channel == NotificationChannel.VOICE,
                Notification.to_number == number,
            )
        )
        or 0
    )


def call_unanswered(session: Session, now: dt.datetime, call: Notification) -> None:
    """Nobody (or a machine) answered the confirmation call: once more, a little later."""
    incident = call.incident
    if incident is None or incident.state != IncidentState.RESOLVED:
        return
    retry = ask_by_call(session, now, incident, call.to_number)
    if retry is not None:
        retry.due_at = now + RETRY_AFTER


def awaiting_answer(call: Notification) -> bool:
    """A confirmation call still worth placing: the incident still waits for the caller."""
    incident = call.incident
    if incident is None or incident.state != IncidentState.RESOLVED:
        return False
    return not any(
        report.confirmation for report in incident.reports if report.reached_at(call.to_number)
    )


def is_confirmation_call(notification: Notification) -> bool:
    return (
        notification.kind == NotificationKind.CALLER
        and notification.channel == NotificationChannel.VOICE
    )
