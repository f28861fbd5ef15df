"""The gateway as a whole: failing (every send refused or unanswered: an account-wide 429, 5xx,
timeouts, a bad auth token) is not any recipient's fault. While it fails, no escalation step is
burnt (every open chain is held where it is), sends keep being retried with backoff, and within
a minute or two the team leads and the director hear about it by e-mail, which does not depend on
the gateway; the dashboard shows a banner and /readyz says "degraded"."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters import mail
from app.models import (
    Channel,
    EventKind,
    GatewayHealth,
    Incident,
    IncidentState,
    Notification,
    NotificationStatus,
    Responder,
    Role,
)
from app.timeline import add_event

log = logging.getLogger(__name__)

NAME = "sms-and-voice"
# Failing this long without one success: the leads are told.
ALERT_AFTER = dt.timedelta(seconds=60)


def health_row(session: Session, name: str = NAME) -> GatewayHealth:
    """The row for one outside system (this gateway, the ticketing system), made on first use."""
    row = session.scalar(select(GatewayHealth).where(GatewayHealth.name == name))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = GatewayHealth(name=name)
            session.add(row)
    except IntegrityError:
        row = session.scalars(select(GatewayHealth).where(GatewayHealth.name == name)).one()
    return row


def failed(session: Session, now: dt.datetime, error: str) -> None:
    row = health_row(session)
    if row.failing_since is None:
        row.failing_since = now
        row.held_until = now
        row.failures = 0
        log.warning("gateway failing: %s", error)
    row.failures += 1
    row.last_error = error[:500]


def failing(session: Session) -> bool:
    return failing_row(session) is not None


def failing_row(session: Session, name: str = NAME) -> GatewayHealth | None:
    return session.scalar(
        select(GatewayHealth).where(
            GatewayHealth.name == name, GatewayHealth.failing_since.is_not(None)
        )
    )


def problem(session: Session, now: dt.datetime, name: str = NAME) -> str | None:
    """What is wrong with the gateway (or another outside system) as a whole, for /readyz and
    the dashboard's banner, or None."""
    row = failing_row(session, name)
    if row is None or row.failing_since is None:
        return None
    minutes = int((now - row.failing_since).total_seconds() // 60)
    return f"failing for {minutes} min ({row.failures} sends): {row.last_error}"


def answered(session: Session, now: dt.datetime) -> None:
    """The gateway took a send (or refused one recipient, which is an answer too) after it had
    been failing: the outage is over."""
    row = failing_row(session)
    if row is None or row.failing_since is None:
        return
    minutes = int((now - row.failing_since).total_seconds() // 60)
    log.warning("gateway answering again after %d min", minutes)
    if row.alerted_at is not None:
        tell_leads(
            session,
            now,
            "The SMS and voice gateway is answering again",
            f"After {minutes} min of failures ({row.failures} sends), the gateway is taking "
            "pages again. Held escalation chains carry on from where they stood.",
        )
    row.failing_since = row.held_until = row.alerted_at = None
    row.failures = 0


def hold_and_alert(session: Session, now: dt.datetime) -> int:
    """While the gateway fails: push every open chain back by the time since the last hold (so
    no step falls due and is burnt on a gateway that cannot deliver it), and tell the leads once
    the failure has lasted ALERT_AFTER. Returns how many chains were held."""
    row = failing_row(session)
    if row is None or row.failing_since is None:
        return 0
    held = 0
    delta = now - (row.held_until or row.failing_since)
    if delta > dt.timedelta(0):
        open_chains = session.scalars(
            select(Incident).where(
                Incident.state == IncidentState.OPEN, Incident.next_escalation_at.is_not(None)
            )
        ).all()
        for incident in open_chains:
            assert incident.next_escalation_at is not None
            incident.next_escalation_at += delta
            if incident.escalation_started_at is not None:
                incident.escalation_started_at += delta
            held += 1
        row.held_until = now
    if row.alerted_at is None and now - row.failing_since >= ALERT_AFTER:
        _alert(session, now, row)
    session.commit()
    return held


def _alert(session: Session, now: dt.datetime, row: GatewayHealth) -> None:
    row.alerted_at = now
    waiting = session.scalars(
        select(Notification).where(
            Notification.status.in_([NotificationStatus.QUEUED, NotificationStatus.SENDING])
        )
    ).all()
    incidents = {n.incident for n in waiting if n.incident is not None}
    since = int((now - row.failing_since).total_seconds()) if row.failing_since else 0
    body = (
        f"Every page and text has failed for {since} s ({row.failures} tries). The last error: "
        f"{row.last_error}\n\n{len(waiting)} messages are waiting for "
        f"{len(incidents)} incident(s): "
        + ", ".join(sorted(f"{i.reference} {i.service_name}" for i in incidents))
        + "\n\nNobody on call can be reached until this is fixed: call the on-call admin "
        "directly. Escalation is held where it stands and resumes when the gateway answers."
    )
    tell_leads(session, now, "Pages are not going out: the SMS and voice gateway is failing", body)
    for incident in incidents:
        add_event(
            session,
            incident,
            now,
            EventKind.ESCALATION_HELD,
            "worker",
            Channel.WORKER,
            f"the gateway is failing ({row.last_error[:120]}); the chain is held and the team "
            "lead and director were e-mailed",
        )
    log.error("gateway failing for %d s; leads alerted", since)


def tell_leads(session: Session, now: dt.datetime, subject: str, body: str) -> None:
    """E-mail the team leads and the director: it does not depend on any gateway."""
    leads = session.scalars(
        select(Responder).where(
            Responder.role.in_([Role.TEAM_LEAD, Role.DIRECTOR]),
            Responder.active,
            Responder.email != "",
        )
    )
    for lead in leads:
        mail.queue_email(session, now, lead.email, subject, body)
