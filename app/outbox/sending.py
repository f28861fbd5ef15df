"""The one loop that sends a kind's due rows: claim, try each, retry or park, keep the health
record, renew the lease. A row that raises anything at all is rolled back, recorded and retried
by its kind's policy; it never stops the rest of the batch, or the worker."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic

from sqlalchemy.orm import InstrumentedAttribute, Session

from app.clock import Clock
from app.models import GatewayHealth, OutboxStatus
from app.outbox import claims, health, retry
from app.outbox.claims import Row
from app.outbox.policy import RetryPolicy

log = logging.getLogger(__name__)


class TryFailed(Exception):
    """One try that did not go through. `system_down`: the outside system as a whole failed
    (unreachable, refusing everyone), not just this row."""

    def __init__(self, error: str, *, system_down: bool = True) -> None:
        super().__init__(error)
        self.error = error
        self.system_down = system_down


@dataclass(frozen=True)
class Kind(Generic[Row]):
    """One kind of row: its table, how one row is sent, and what it needs of the mechanism."""

    name: str  # its retry policy's and its metrics' name
    model: type[Row]
    send: Callable[[Session, Row, dt.datetime], None]  # raises TryFailed when it did not go
    describe: Callable[[Row], str]  # the row in the log: "e-mail 12"
    system: str | None = None  # the outside system it reaches, whose health it keeps
    key: InstrumentedAttribute[Any] | None = None  # one row at a time per key, in order
    load: tuple[Any, ...] = ()  # loader options for what each send reads
    # Called after a failed try while the leads have not heard of this outage yet: tells them
    # when it is time (after so many tries, say).
    alert: Callable[[Session, dt.datetime, GatewayHealth], None] | None = None
    back: tuple[str, str] = ("", "")  # what the leads hear when the system answers again
    # The leads are e-mailed about a row parked (not for e-mail itself: a lead's own address
    # refused would make an alert about the alert, for ever).
    parked_alert: bool = True


def send_due(
    session: Session,
    clock: Clock,
    kind: Kind[Row],
    policy: RetryPolicy,
    limit: int,
    lease: dt.timedelta,
) -> int:
    """Send up to `limit` due rows of `kind`, each committed on its own; how many were tried.
    A keyed kind's claim takes one row per key, so claims follow one another until nothing is
    due (the next row of a key falls due once the one before it is sent)."""
    tried = 0
    while tried < limit and (
        batch := _send_batch(session, clock, kind, policy, limit - tried, lease)
    ):
        tried += batch
    return tried


def _send_batch(
    session: Session,
    clock: Clock,
    kind: Kind[Row],
    policy: RetryPolicy,
    limit: int,
    lease: dt.timedelta,
) -> int:
    token = claims.claim(
        session,
        kind.model,
        clock.now(),
        limit=limit,
        lease=lease,
        key=kind.key,
        # Counted as the claim commits, not in the session during the try: nothing is written
        # while the outside system is being waited on (SQLite would hold its one write lock).
        extra={"attempts": kind.model.attempts + 1},
    )
    if token is None:
        return 0
    rows = claims.claimed(session, kind.model, token, *kind.load)
    # Read once a batch, not once a send: only the first answer after an outage ends it.
    failing = kind.system is not None and health.failing_row(session, kind.system) is not None
    renewed = clock.now()
    for row in rows:
        answered = _try(session, clock.now(), kind, policy, row)
        if answered and failing and kind.system:
            health.answered(session, kind.system, clock.now(), kind.back)
        if answered is not None:
            failing = not answered
        session.commit()
        if clock.now() - renewed > lease / 3:
            renewed = clock.now()
            claims.renew(session, kind.model, token, renewed)
    return len(rows)


def _try(
    session: Session, now: dt.datetime, kind: Kind[Row], policy: RetryPolicy, row: Row
) -> bool | None:
    """True when the system took the row, False when the system failed, None otherwise."""
    row_id, what = row.id, kind.describe(row)
    try:
        kind.send(session, row, now)
    except TryFailed as exc:
        _again_later(session, now, kind, policy, row, exc.error, what)
        if kind.system and exc.system_down:
            state = health.failed(session, kind.system, now, exc.error)
            if kind.alert and state.alerted_at is None:
                kind.alert(session, now, state)
            return False
        return None
    except Exception as exc:
        # A poisoned row or a bug: whatever it half did is undone, the try is counted.
        session.rollback()
        log.exception("%s failed", what)
        fresh = session.get(kind.model, row_id)
        if fresh is not None:
            _again_later(session, now, kind, policy, fresh, f"{type(exc).__name__}: {exc}", what)
        return None
    row.status = OutboxStatus.SENT
    row.sent_at = now
    row.last_error = ""
    return True


def _again_later(
    session: Session,
    now: dt.datetime,
    kind: Kind[Row],
    policy: RetryPolicy,
    row: Row,
    error: str,
    what: str,
) -> None:
    if retry.again_later(row, now, error, policy, what).parked and kind.parked_alert:
        health.tell_leads(
            session,
            now,
            f"Set aside after {row.attempts} tries: {what}",
            f"The worker tried {what} {row.attempts} times and has set it aside. The last "
            f"error: {error}\n\nThe rest of the outbox goes on. It stays parked, with its error, "
            "until someone looks into it.",
        )
