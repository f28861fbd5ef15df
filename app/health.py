"""Is the line working? Database reachability, the worker's heartbeat, and the numbers behind
the Prometheus metrics."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.models import (
    Call,
    CallerBroadcast,
    GatewayHealth,
    Incident,
    IncidentState,
    Notification,
    NotificationKind,
    NotificationStatus,
    TicketUpdate,
    WorkerHeartbeat,
)
from app.paging import broadcasts
from app.paging.gateway_health import NAME as GATEWAY
from app.tickets.sender import HEALTH as TICKETS


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def beat(session: Session, now: dt.datetime, name: str) -> None:
    for _ in range(2):
        row = session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.worker == name))
        if row is None:
            row = WorkerHeartbeat(worker=name, beat_at=now, started_at=now, passes=0)
            session.add(row)
        row.beat_at = now
        row.passes += 1
        try:
            session.commit()
            return
        except IntegrityError:
            # Another pass under the same name wrote the first beat at the same moment.
            session.rollback()


def last_beat(session: Session) -> dt.datetime | None:
    return session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


def database_ok(session: Session) -> bool:
    try:
        session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        session.rollback()
        return False


def worker_stale(session: Session, now: dt.datetime, limit: dt.timedelta) -> bool:
    return is_stale(last_beat(session), now, limit)


def is_stale(beat_at: dt.datetime | None, now: dt.datetime, limit: dt.timedelta) -> bool:
    return beat_at is None or now - beat_at > limit


@dataclass(frozen=True)
class Counts:
    calls: dict[str, int]
    incidents: dict[str, int]
    pages: list[tuple[str, str, int]]
    ack_seconds: list[float]
    escalated: int
    lag_seconds: float
    heartbeat_age_seconds: float | None
    gateway_failing_seconds: float = 0.0
    tickets_failing_seconds: float = 0.0
    ticket_updates_waiting: int = 0
    # News for every caller not yet told: waiting for the worker, or set aside after failing.
    caller_news_waiting: int = 0
    caller_news_set_aside: int = 0


def counts(session: Session, now: dt.datetime) -> Counts:
    """Everything /metrics reports, read from the database (the same in every web process)."""
    calls = session.execute(select(Call.status, func.count()).group_by(Call.status)).all()
    states = dict(
        session.execute(select(Incident.state, func.count()).group_by(Incident.state)).all()
    )
    pages = session.execute(
        select(Notification.channel, Notification.status, func.count())
        .where(Notification.kind == NotificationKind.PAGE)
        .group_by(Notification.channel, Notification.status)
    ).all()
    acked = session.execute(
        select(Incident.created_at, Incident.acknowledged_at).where(
            Incident.acknowledged_at.is_not(None)
        )
    ).all()
    oldest_due = session.scalar(
        select(func.min(Notification.due_at)).where(
            Notification.status == NotificationStatus.QUEUED, Notification.due_at <= now
        )
    )
    beat_at = last_beat(session)
    failing = dict(
        session.execute(
            select(GatewayHealth.name, GatewayHealth.failing_since).where(
                GatewayHealth.failing_since.is_not(None)
            )
        ).all()
    )
    failing_since, tickets_since = failing.get(GATEWAY), failing.get(TICKETS)
    waiting = select(func.count()).where(TicketUpdate.status == NotificationStatus.QUEUED)
    news = dict(
        session.execute(
            select(broadcasts.SET_ASIDE, func.count())
            .where(CallerBroadcast.done_at.is_(None))
            .group_by(broadcasts.SET_ASIDE)
        ).all()
    )
    return Counts(
        calls={status: count for status, count in calls},
        incidents={state: states.get(state, 0) for state in IncidentState},
        pages=[(channel, status, count) for channel, status, count in pages],
        ack_seconds=sorted((ack - opened).total_seconds() for opened, ack in acked if ack),
        escalated=session.scalar(select(func.count()).where(Incident.escalated)) or 0,
        lag_seconds=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        heartbeat_age_seconds=(now - beat_at).total_seconds() if beat_at else None,
        gateway_failing_seconds=(now - failing_since).total_seconds() if failing_since else 0.0,
        tickets_failing_seconds=(now - tickets_since).total_seconds() if tickets_since else 0.0,
        ticket_updates_waiting=session.scalar(waiting) or 0,
        caller_news_waiting=news.get(False, 0),
        caller_news_set_aside=news.get(True, 0),
    )
