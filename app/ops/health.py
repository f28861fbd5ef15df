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
    Incident,
    IncidentState,
    Notification,
    NotificationKind,
    OutboxStatus,
    WorkerHeartbeat,
)
from app.outbox import metrics
from app.outbox.metrics import KindCounts


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
    # The outbox, by kind (waiting, parked, oldest due) and by outside system (failing for).
    outbox: dict[str, KindCounts]
    failing_seconds: dict[str, float]


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
            Notification.status == OutboxStatus.QUEUED, Notification.due_at <= now
        )
    )
    beat_at = last_beat(session)
    return Counts(
        calls={status: count for status, count in calls},
        incidents={state: states.get(state, 0) for state in IncidentState},
        pages=[(channel, status, count) for channel, status, count in pages],
        ack_seconds=sorted((ack - opened).total_seconds() for opened, ack in acked if ack),
        escalated=session.scalar(select(func.count()).where(Incident.escalated)) or 0,
        lag_seconds=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        heartbeat_age_seconds=(now - beat_at).total_seconds() if beat_at else None,
        outbox=metrics.by_kind(session, now),
        failing_seconds=metrics.failing_seconds(session, now),
    )
