"""Notifications as rows: composing pages and texts, and queueing them for the worker.

Nothing here talks to a gateway: a webhook or an escalation step writes rows with a due time, and
`delivery` sends them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import phonenumbers
from sqlalchemy import CursorResult, bindparam, inspect, select, update
from sqlalchemy.orm import Session

from app.incidents import catalog
from app.incidents.timeline import add_event
from app.incidents.verbs import LETTER, Verb
from app.languages import TEAM, words
from app.models import (
    Channel,
    EventKind,
    Incident,
    Notification,
    NotificationChannel,
    NotificationKind,
    OutboxStatus,
    Report,
    Responder,
)
from app.outbox import mail
from app.paging import reply_codes
from app.paging.gsm import SEGMENT, fit, gsm_length
from app.phones import display

# --- composing --------------------------------------------------------------------------------


def page_text(incident: Incident, code: int, position: str = "") -> str:
    """One GSM-7 segment: where the chain stands (after the first page), reference, priority,
    service, a slice of the problem, impact, callback, and how to reply."""
    cas = " CAS" if incident.priority_customer else ""
    if incident.cas_claimed and not incident.priority_customer:
        cas = " CAS (said so)"
    flood = " POSSIBLE FLOOD:" if incident.possible_flood else ""
    languages = incident.callers_speak
    speaks = f" (caller speaks {languages})" if languages else ""
    head = (
        f"{incident.reference} P{incident.priority}{cas}{flood} "
        f"{incident.service_name[:40]}{speaks}"
    )
    if position:
        head = f"{fit(position, 50)}. {head}"
    problem = incident.description or ("voicemail left" if incident.recording_url else "")
    if incident.incomplete:
        problem = f"(caller hung up) {problem}".strip()
    number = incident.number_to_call
    callback = f"Call {display(number)}" if number else "No callback number"
    tail = (
        f" Impact: {incident.impact_label or 'unknown'}. {callback}."
        f" Reply {code}{LETTER[Verb.ACK]} ack, {code}{LETTER[Verb.RESOLVE]} fixed"
    )
    head, tail = fit(head, 110 if position else 60), fit(tail, 100)
    # What is left of one segment after ": " and a closing full stop goes to the problem.
    room = SEGMENT - gsm_length(head) - gsm_length(tail) - 3
    slice_ = fit(problem, room) if problem and room >= 8 else ""
    if slice_ and slice_[-1] not in ".!?":
        slice_ += "."
    return fit(f"{head}: {slice_}{tail}" if slice_ else f"{head}.{tail}")


def chain_position(incident: Incident, responder: Responder, now: dt.datetime) -> str:
    """Where the chain stands, said in a page after the first: `ESCALATED, no ack 60 min, tried
    Pat Lee 3x` for someone new, `REMINDER 2, no ack 30 min` for the same person's second
    reminder. A round of pages (a text and a call at once) counts once. After a reopening the
    count starts again, and every page says REOPENED first; after its owner handed it on,
    HANDED ON by them."""
    since = incident.asking_since
    earlier = [page for page in incident.pages if since <= page.created_at < now]
    if incident.handed_on:
        why = f"HANDED ON by {_handed_on_by(incident)}"
    else:
        why = "REOPENED" if incident.reopened else ""
    if not earlier:
        return why
    minutes = int((now - since).total_seconds() // 60)
    rounds = _rounds(earlier)
    lead = f"{why}, " if why else ""
    if set(rounds) == {responder.name}:
        return f"{lead}REMINDER {rounds[responder.name]}, no ack {minutes} min"
    return f"{lead}ESCALATED, no ack {minutes} min, tried {tried(earlier)}"


def _handed_on_by(incident: Incident) -> str:
    handed = [event for event in incident.events if event.kind == EventKind.HANDED_ON]
    return handed[-1].actor if handed else "its owner"


def _rounds(pages: list[Notification]) -> dict[str, int]:
    """How many times each person was paged: a text and a call queued together are one round."""
    counts: dict[str, int] = {}
    seen: set[tuple[str, dt.datetime]] = set()
    for page in sorted(pages, key=lambda page: (page.created_at, page.id or 0)):
        if page.responder is None or (page.responder.name, page.created_at) in seen:
            continue
        seen.add((page.responder.name, page.created_at))
        counts[page.responder.name] = counts.get(page.responder.name, 0) + 1
    return counts


def tried(pages: list[Notification]) -> str:
    """Who has been paged and how often: `Pat Lee 3x, Alex Kim 1x` (empty for nobody)."""
    return ", ".join(f"{name} {count}x" for name, count in _rounds(pages).items())


def sms_capable(number: str | None) -> bool:
    """Worth texting: landlines are known in most countries; in NANP a number may be either."""
    if not number:
        return False
    kind = phonenumbers.number_type(phonenumbers.parse(number, None))
    return kind in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }


# --- queueing ---------------------------------------------------------------------------------


def queue(
    session: Session,
    now: dt.datetime,
    *,
    kind: NotificationKind,
    channel: NotificationChannel,
    to: str,
    body: str = "",
    incident: Incident | None = None,
    responder: Responder | None = None,
    step: int | None = None,
    cycle: int | None = None,
) -> Notification:
    notification = Notification(
        kind=kind,
        channel=channel,
        to_number=to,
        body=body,
        incident=incident,
        responder=responder,
        step=step,
        cycle=cycle,
        due_at=now,
        created_at=now,
    )
    # Due now: the worker hears of it the moment this transaction commits (a trigger NOTIFYs).
    session.add(notification)
    return notification


def queue_page(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    responder: Responder,
    channel: NotificationChannel,
    step: int | None,
    cycle: int | None,
) -> Notification:
    if channel == NotificationChannel.SMS and responder.sms_opted_out:
        # They texted STOP: SMS cannot reach them, so this page goes as a call.
        channel = NotificationChannel.VOICE
    code = reply_codes.for_page(session, responder, incident)
    page = queue(
        session,
        now,
        kind=NotificationKind.PAGE,
        channel=channel,
        to=responder.phone,
        body=page_text(incident, code, chain_position(incident, responder, now)),
        incident=incident,
        responder=responder,
        step=step,
        cycle=cycle,
    )
    add_event(
        session,
        incident,
        now,
        EventKind.PAGE_QUEUED,
        "escalation",
        Channel.WORKER,
        f"{channel.upper()} to {responder.name}"
        + (f" (step {step + 1})" if step is not None else ""),
    )
    return page


def notify_responder(
    session: Session,
    now: dt.datetime,
    responder: Responder,
    body: str,
    incident: Incident | None,
    limit: int = SEGMENT,
) -> Notification | None:
    """An FYI by SMS (not a page: it never escalates or fails over)."""
    if responder.sms_opted_out:
        return None
    return queue(
        session,
        now,
        kind=NotificationKind.NOTICE,
        channel=NotificationChannel.SMS,
        to=responder.phone,
        body=fit(body, limit),
        incident=incident,
        responder=responder,
    )


def tell_taken(
    session: Session, now: dt.datetime, incident: Incident, taker: Responder, at: str
) -> None:
    """Acknowledged: the others paged stand down. After a reopening or a hand-on, only those
    paged since (the ones told before have nothing new to stand down from)."""
    # By id, not SELECT DISTINCT over whole rows: PostgreSQL cannot compare json columns.
    reached = select(Notification.responder_id).where(
        Notification.incident_id == incident.id,
        Notification.kind == NotificationKind.PAGE,
        Notification.created_at >= incident.asking_since,
        Notification.status.in_([OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.SENDING]),
    )
    paged = session.scalars(
        select(Responder)
        .where(Responder.id.in_(reached), Responder.id != taker.id)
        .order_by(Responder.id)
    )
    for responder in paged:
        notify_responder(
            session,
            now,
            responder,
            f"{incident.reference} was acknowledged by {taker.name} at {at}. No action needed.",
            incident,
        )


def not_read(language: str) -> str:
    """Nothing reads e-mail sent to the line: a caller who answers an update by e-mail must
    know."""
    _ = words(language)
    return "\n\n" + _(
        "Replies to this e-mail are not read. To tell us something, call the line again or text "
        "it from the phone you reported from."
    )


def text_caller(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    body: str,
    to: str | None = None,
    language: str = TEAM,
) -> bool:
    """Text a caller (the incident's first, unless `to` names another) if the number takes SMS;
    a caller who gave an e-mail address gets the same words by e-mail. `body` is in the
    caller's `language`."""
    number = to or incident.callback_number
    theirs = _callers_reports(session, incident, number)
    return _text(session, now, incident, body, number, theirs, language)


# The words for one caller: (their number, their language) -> the text.
CallerWords = Callable[[str, str], str]


def text_every_caller(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    words_for: CallerWords,
    but: Report | None = None,
    emailed: Callable[[str], str] | None = None,
) -> list[tuple[str, bool]]:
    """`text_caller` for each of the incident's callers (but the one who made report `but`),
    in each one's language, with the words for their number (by e-mail, `emailed` in their
    language when a text's words do not suit an e-mail); returns each number and whether it
    was texted. The reports are read once and looked up by number: an outage may have
    thousands of callers."""
    theirs: dict[str, list[tuple[str, dt.datetime | None]]] = defaultdict(list)
    language: dict[str, str] = {}
    for report in incident.reports:
        for number in dict.fromkeys((report.callback_number, report.caller_number)):
            if number:
                theirs[number].append((report.updates_email, report.texts_fail_since))
                language[number] = report.language  # their latest report's
    told = []
    for number in caller_numbers(incident):
        if but is not None and but.reached_at(number):
            continue
        code = language.get(number, TEAM)
        body = words_for(number, code)
        mailed = emailed(code) if emailed else None
        told.append(
            (number, _text(session, now, incident, body, number, theirs[number], code, mailed))
        )
    return told


def _text(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    body: str,
    number: str | None,
    theirs: list[tuple[str, dt.datetime | None]],
    language: str,
    emailed: str | None = None,
) -> bool:
    subject = f"{incident.reference}: {catalog.name_for_callers(session, incident)}"
    for address in {email for email, _ in theirs if email}:
        body_by_mail = f"{emailed or body}{not_read(language)}"
        mail.queue_email(session, now, address, subject, body_by_mail, incident)
    if not sms_capable(number) or any(failed for _, failed in theirs):
        return False
    queue(
        session,
        now,
        kind=NotificationKind.CALLER,
        channel=NotificationChannel.SMS,
        to=number or "",
        body=fit(body, 2 * SEGMENT),
        incident=incident,
    )
    return True


# Built once: every caller's receipt reads it.
CALLERS_REPORTS = select(Report.email, Report.email_confirmed_at, Report.texts_fail_since).where(
    Report.incident_id == bindparam("incident_id"), Report.at_number(bindparam("number"))
)


def _callers_reports(
    session: Session, incident: Incident, number: str | None
) -> list[tuple[str, dt.datetime | None]]:
    """(e-mail, texts failing since) of this caller's reports of the incident."""
    if "reports" in inspect(incident).dict:
        # Loaded already (a new incident's, or a page that showed them): nothing to read.
        return [
            (report.updates_email, report.texts_fail_since)
            for report in incident.reports
            if report.reached_at(number)
        ]
    # This caller's reports only: a storm's thousandth caller does not read the other 999.
    # (Reports not yet written, under no_autoflush, are in the session.)
    stored = (
        session.execute(CALLERS_REPORTS, {"incident_id": incident.id, "number": number})
        if number is not None
        else ()
    )
    return [(email if confirmed else "", failed) for email, confirmed, failed in stored] + [
        (report.updates_email, report.texts_fail_since)
        for report in session.new
        if isinstance(report, Report) and report.incident is incident and report.reached_at(number)
    ]


def texts_failed_before(session: Session, incident: Incident, number: str | None) -> bool:
    """A text to this caller has already failed for good (a landline, say)."""
    return any(failed is not None for _, failed in _callers_reports(session, incident, number))


def caller_numbers(incident: Incident) -> list[str]:
    """Every distinct callback number among the incident's reports, first caller first. Only
    callback numbers: a caller ID that failed the callback policy (premium-rate, abroad, the
    help desk's) is never called or texted."""
    numbers = (report.callback_number for report in incident.reports)
    return [number for number in dict.fromkeys(numbers) if number]


def cancel_queued_pages(session: Session, incident: Incident) -> int:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Notification)
        .where(
            Notification.incident_id == incident.id,
            Notification.kind == NotificationKind.PAGE,
            Notification.status == OutboxStatus.QUEUED,
        )
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0
