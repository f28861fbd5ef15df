"""One health record per outside system (the SMS and voice gateway, the ticketing system, the
mail server): failing since when, how many tries, the last error, whether the leads were told.
One alert path: the team leads and the director hear by e-mail, which is itself a row here and
depends on no gateway; they hear again when the system answers."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import LEADS, GatewayHealth, Responder
from app.outbox.mail import queue_email

log = logging.getLogger(__name__)


def record(session: Session, system: str) -> GatewayHealth:
    """The system's row, made on first use (two workers making it at once: one wins)."""
    row = session.scalar(select(GatewayHealth).where(GatewayHealth.name == system))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = GatewayHealth(name=system)
            session.add(row)
    except IntegrityError:
        row = session.scalars(select(GatewayHealth).where(GatewayHealth.name == system)).one()
    return row


def failing_row(session: Session, system: str) -> GatewayHealth | None:
    return session.scalar(
        select(GatewayHealth).where(
            GatewayHealth.name == system, GatewayHealth.failing_since.is_not(None)
        )
    )


def problem(session: Session, now: dt.datetime, system: str) -> str | None:
    """What is wrong with `system` as a whole, for /readyz and the dashboard's banner, or None."""
    row = failing_row(session, system)
    if row is None or row.failing_since is None:
        return None
    minutes = int((now - row.failing_since).total_seconds() // 60)
    return f"failing for {minutes} min ({row.failures} sends): {row.last_error}"


def failed(session: Session, system: str, now: dt.datetime, error: str) -> GatewayHealth:
    """A try at `system` failed through no fault of the row's: the outage begins or goes on."""
    row = record(session, system)
    if row.failing_since is None:
        row.failing_since = now
        row.held_until = now
        row.failures = 0
        log.warning("%s failing: %s", system, error)
    row.failures += 1
    row.last_error = error[:500]
    return row


def answered(session: Session, system: str, now: dt.datetime, back: tuple[str, str]) -> None:
    """`system` took a try after it had been failing: the outage is over. The leads, if they
    were told of it, hear `back` (subject, body; `{minutes}` and `{failures}` filled in)."""
    row = failing_row(session, system)
    if row is None or row.failing_since is None:
        return
    minutes = int((now - row.failing_since).total_seconds() // 60)
    log.warning("%s answering again after %d min", system, minutes)
    if row.alerted_at is not None:
        subject, body = back
        tell_leads(session, now, subject, body.format(minutes=minutes, failures=row.failures))
    row.failing_since = row.held_until = row.alerted_at = None
    row.failures = 0


def alert(session: Session, now: dt.datetime, row: GatewayHealth, subject: str, body: str) -> None:
    """Tell the leads once per outage."""
    row.alerted_at = now
    tell_leads(session, now, subject, body)
    log.error("%s failing since %s; leads alerted", row.name, row.failing_since)


def tell_leads(session: Session, now: dt.datetime, subject: str, body: str) -> None:
    """E-mail the team leads and the director still on the roster."""
    leads = session.scalars(
        select(Responder).where(
            Responder.role.in_(LEADS),
            Responder.active,
            Responder.email != "",
        )
    )
    for lead in leads:
        queue_email(session, now, lead.email, subject, body)
