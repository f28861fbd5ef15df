"""One set of numbers for every kind: rows waiting, rows parked, and how long each outside
system has been failing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.models import GatewayHealth, OutboxStatus
from app.outbox.kinds import GATEWAY, MAIL_SERVER, TABLES, TICKETING


@dataclass(frozen=True)
class KindCounts:
    waiting: int  # queued or being sent
    parked: int  # set aside after their tries
    due_seconds: float  # how long the oldest due row has waited


def by_kind(session: Session, now: dt.datetime) -> dict[str, KindCounts]:
    """One statement a kind."""
    found = {}
    for name, model in TABLES.items():
        waiting = model.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
        row = session.execute(
            select(
                func.count().filter(waiting),
                func.count().filter(model.status == OutboxStatus.PARKED),
                func.min(case((waiting & (model.due_at <= now), model.due_at))),
            )
        ).one()
        oldest = row[2]
        if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=dt.UTC)
        found[name] = KindCounts(
            row[0] or 0, row[1] or 0, (now - oldest).total_seconds() if oldest else 0.0
        )
    return found


def failing_seconds(session: Session, now: dt.datetime) -> dict[str, float]:
    """Each outside system's failing time so far (0 for one that answers)."""
    failing = dict(
        session.execute(
            select(GatewayHealth.name, GatewayHealth.failing_since).where(
                GatewayHealth.failing_since.is_not(None)
            )
        ).all()
    )
    seconds = {}
    for system in (GATEWAY, MAIL_SERVER, TICKETING):
        since = failing.get(system)
        seconds[system] = (now - since).total_seconds() if since is not None else 0.0
    return seconds
