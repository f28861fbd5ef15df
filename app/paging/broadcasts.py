"""News for every caller of an incident, told by the worker.

The administrator's acknowledgement, a resolution and a caller's BROKEN each have words for every
caller of the outage. The webhook that made the news writes one row (`queue`) and answers at
once; the worker turns the row into one text per caller (`KIND`, an outbox kind), each
incident's news in the order it came. An outage may have thousands of callers: the webhook's
time no longer grows with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.languages import words
from app.models import (
    LIVE_STATES,
    UNRESOLVED_STATES,
    WAITING_STATES,
    CallerBroadcast,
    Incident,
    Report,
)
from app.outbox.policy import CALLERS_NEWS
from app.outbox.sending import Kind
from app.paging import caller_reach, notify, wakeup
from app.paging.notify import CallerWords
from app.phones import display


class News(StrEnum):
    TAKEN = "taken"
    FIXED = "fixed"
    REOPENED = "reopened"


def queue(
    session: Session, now: dt.datetime, incident: Incident, news: News, but: Report | None = None
) -> None:
    """Every caller (but the one who made report `but`) is to hear `news`; on PostgreSQL the
    worker is woken when this commits."""
    session.add(
        CallerBroadcast(incident=incident, kind=news, except_report=but, due_at=now, created_at=now)
    )
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # the row's INSERT begins the transaction the NOTIFY is delivered with
        session.execute(select(func.pg_notify(wakeup.CHANNEL, "")))


def _tell(session: Session, row: CallerBroadcast, now: dt.datetime) -> None:
    incident, news = row.incident, News(row.kind)
    if incident.state not in STILL_TRUE[news]:
        return
    asked = notify.text_every_caller(
        session,
        now,
        incident,
        _words(news, incident),
        but=row.except_report,
        emailed=_emailed(news, incident),
    )
    if news == News.FIXED:
        for number, texted in asked:
            if not texted:
                # A landline, or a number whose texts failed: the line calls and asks instead.
                caller_reach.ask_by_call(session, now, incident, number)


# The news is told only while it is still true: "is it fixed?" to an incident reopened since
# would only confuse.
STILL_TRUE = {
    News.TAKEN: LIVE_STATES - WAITING_STATES,
    News.FIXED: LIVE_STATES - UNRESOLVED_STATES,
    News.REOPENED: LIVE_STATES,
}


def _words(news: News, incident: Incident) -> CallerWords:
    named = {"reference": incident.reference, "service": incident.service_for_callers}

    def told(number: str, language: str) -> str:
        _ = words(language)
        if news == News.TAKEN:
            text = _(
                "{reference}: your report about {service} is being worked on. The on-call "
                "administrator will contact you at {number}."
            )
        elif news == News.FIXED:
            text = _(
                "{reference}: the on-call administrator reports {service} is fixed. Reply "
                "WORKS if it works for you now, or BROKEN if it is still broken."
            )
        else:
            text = _(
                "{reference}: another caller reports {service} is still broken, so it is "
                "reopened and the administrator has been paged again."
            )
        return text.format(**named, number=display(number))

    return told


def _emailed(news: News, incident: Incident) -> Callable[[str], str] | None:
    """The words by e-mail, where a text's do not suit one: nothing reads a reply by e-mail."""
    if news != News.FIXED:
        return None

    def emailed(language: str) -> str:
        _ = words(language)
        return _(
            "{reference}: the on-call administrator reports {service} is fixed. Please tell us "
            "whether it works for you now: reply WORKS or BROKEN to the text message we sent "
            "to your phone (or, if it takes no texts, answer the call we make to it)."
        ).format(reference=incident.reference, service=incident.service_for_callers)

    return emailed


# One incident's news is told in the order it came; a row that keeps failing is parked by the
# kind's policy, so the news after it still goes.
KIND = Kind(
    name=CALLERS_NEWS,
    model=CallerBroadcast,
    send=_tell,
    describe=lambda row: f"caller news {row.kind} for incident {row.incident_id}",
    key=CallerBroadcast.incident_id,
    load=(joinedload(CallerBroadcast.incident),),
)
