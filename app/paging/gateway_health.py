"""The gateway as a whole: failing (every send refused or unanswered: an account-wide 429, 5xx,
timeouts, a bad auth token) is not any recipient's fault. While it fails, no escalation step is
burnt (every open chain is held where it is), sends keep being retried with backoff, and within
a minute or two the team leads and the director hear about it by e-mail, which does not depend on
the gateway; the dashboard shows a banner and /readyz says "degraded". The gateway's health
record is the outbox's (app/outbox/health.py); holding the chains is paging's own."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.incidents.timeline import add_event
from app.models import (
    Channel,
    EventKind,
    GatewayHealth,
    Incident,
    IncidentState,
    Notification,
    OutboxStatus,
)
from app.outbox import health
from app.outbox.kinds import GATEWAY

# Failing this long without one success: the leads are told.
ALERT_AFTER = dt.timedelta(seconds=60)


def hold_and_alert(session: Session, now: dt.datetime) -> int:
    """While the gateway fails: push every open chain back by the time since the last hold (so
    no step falls due and is burnt on a gateway that cannot deliver it), and tell the leads once
    the failure has lasted ALERT_AFTER. Returns how many chains were held."""
    row = health.failing_row(session, GATEWAY)
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
    waiting = session.scalars(
        select(Notification).where(
            Notification.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
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
    health.alert(
        session, now, row, "Pages are not going out: the SMS and voice gateway is failing", body
    )
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
