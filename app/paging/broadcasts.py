"""News for every caller of an incident, told by the worker.

The administrator's acknowledgement, a resolution and a caller's BROKEN each have words for every
caller of the outage. The webhook that made the news writes one row (`queue`) and answers at
once; the worker turns the row into one text per caller (`tell_due`), in the order the news
came. An outage may have thousands of callers: the webhook's time no longer grows with them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.models import CallerBroadcast, Incident, IncidentState, Report
from app.paging import caller_reach, notify, wakeup
from app.phones import display

log = logging.getLogger(__name__)

# A row that keeps failing is set aside after this many tries, so the news after it still goes.
MAX_ATTEMPTS = 3


class News(StrEnum):
    TAKEN = "taken"
    FIXED = "fixed"
    REOPENED = "reopened"


def queue(
    session: Session, now: dt.datetime, incident: Incident, news: News, but: Report | None = None
) -> None:
    """Every caller (but the one who made report `but`) is to hear `news`; on PostgreSQL the
    worker is woken when this commits."""
    session.add(CallerBroadcast(incident=incident, kind=news, except_report=but, created_at=now))
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # the row's INSERT begins the transaction the NOTIFY is delivered with
        session.execute(select(func.pg_notify(wakeup.CHANNEL, "")))


SET_ASIDE = CallerBroadcast.attempts >= MAX_ATTEMPTS
WAITING = (CallerBroadcast.done_at.is_(None), ~SET_ASIDE)


def tell_due(session: Session, now: dt.datetime, limit: int) -> int:
    """Tell up to `limit` pieces of news, oldest first, each in its own transaction; returns how
    many were told. With two workers each row is told once (the row is locked while told)."""
    # A plain look first: most passes find nothing, and a locking read would begin a transaction.
    if not session.scalar(select(exists().where(*WAITING))):
        return 0
    told = 0
    oldest = (
        select(CallerBroadcast)
        .where(*WAITING)
        .order_by(CallerBroadcast.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    while told < limit and (row := session.scalar(oldest)) is not None:
        row_id = row.id
        try:
            _tell(session, now, row)
        except Exception:
            session.rollback()
            _failed(session, row_id)
            continue
        row.done_at = now
        session.commit()
        told += 1
    session.commit()  # the last look, which found nothing, began a transaction
    return told


def _failed(session: Session, row_id: int) -> None:
    row = session.get(CallerBroadcast, row_id)
    if row is None:
        return
    row.attempts += 1
    log.exception(
        "caller news %s for incident %s failed (try %s of %s)",
        row.kind,
        row.incident_id,
        row.attempts,
        MAX_ATTEMPTS,
    )
    session.commit()


# The news is told only while it is still true: "is it fixed?" to an incident reopened since
# would only confuse.
STILL_TRUE = {
    News.TAKEN: {IncidentState.ACKNOWLEDGED, IncidentState.RESOLVED},
    News.FIXED: {IncidentState.RESOLVED},
    News.REOPENED: {IncidentState.OPEN, IncidentState.ACKNOWLEDGED, IncidentState.RESOLVED},
}


def _tell(session: Session, now: dt.datetime, row: CallerBroadcast) -> None:
    incident, news = row.incident, News(row.kind)
    if incident.state not in STILL_TRUE[news]:
        return
    asked = notify.text_every_caller(
        session, now, incident, _words(news, incident), but=row.except_report
    )
    if news == News.FIXED:
        for number, texted in asked:
            if not texted:
                # A landline, or a number whose texts failed: the line calls and asks instead.
                caller_reach.ask_by_call(session, now, incident, number)


def _words(news: News, incident: Incident) -> Callable[[str], str]:
    reference, service = incident.reference, incident.service_name
    if news == News.TAKEN:
        return lambda number: (
            f"{reference}: your report about {service} is being worked on. The on-call "
            f"administrator will contact you at {display(number)}."
        )
    if news == News.FIXED:
        return lambda _number: (
            f"{reference}: the on-call administrator reports {service} is fixed. Reply WORKS "
            "if it works for you now, or BROKEN if it is still broken."
        )
    return lambda _number: (
        f"{reference}: another caller reports {service} is still broken, so it is reopened and "
        "the administrator has been paged again."
    )
