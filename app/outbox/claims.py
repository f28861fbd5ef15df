"""Claiming due rows: the one place rows are taken with FOR UPDATE SKIP LOCKED.

A claim is one UPDATE that locks the due rows it picks (skipping any another worker holds),
marks them `sending` with this worker's token and the time, and commits before anything is sent.
A row claimed longer ago than the lease belongs to a worker that died: it may be claimed again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, CursorResult, Select, and_, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from app.db import SINGLE_STATEMENT
from app.models import OutboxRow, OutboxStatus

Row = TypeVar("Row", bound=OutboxRow)
SelectT = TypeVar("SelectT", bound=Select[Any])

# Rows still to go: an earlier one of these holds back the later ones of its key.
WAITING = (OutboxStatus.QUEUED, OutboxStatus.SENDING)


def skip_locked(query: SelectT, *of: Any) -> SelectT:
    """`query` locking the rows it reads, passing over those another worker has locked: due
    rows (escalation steps, follow-ups, calls without an end) are each acted on by one worker."""
    return query.with_for_update(skip_locked=True, of=list(of) or None)


def due(model: type[OutboxRow], now: dt.datetime, lease: dt.timedelta) -> ColumnElement[bool]:
    """Queued and due, or claimed by a worker whose lease ran out."""
    return or_(
        and_(model.status == OutboxStatus.QUEUED, model.due_at <= now),
        and_(model.status == OutboxStatus.SENDING, model.claimed_at < now - lease),
    )


def first_of_its_key(
    model: type[OutboxRow], key: InstrumentedAttribute[Any]
) -> ColumnElement[bool]:
    """No earlier row of the same key is still to go: a key's rows go one at a time, in order."""
    earlier = aliased(model)
    earlier_key = getattr(earlier, key.key)
    return ~exists().where(earlier_key == key, earlier.id < model.id, earlier.status.in_(WAITING))


def claim(
    session: Session,
    model: type[Row],
    now: dt.datetime,
    *,
    limit: int,
    lease: dt.timedelta,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
    key: InstrumentedAttribute[Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> str | None:
    """Take up to `limit` due rows of `model` for this worker alone and commit; returns the
    claim's token, or None when nothing was due. `key`: one row per key, the oldest first.
    `extra`: more columns the claim sets (a kind's own bookkeeping)."""
    token = uuid.uuid4().hex
    picked = (
        select(model.id)
        .where(due(model, now, lease), *where, *([first_of_its_key(model, key)] if key else []))
        .order_by(*order_by, model.due_at, model.id)
        .limit(limit)
    )
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(model)
        .where(model.id.in_(skip_locked(picked).scalar_subquery()))
        .values(status=OutboxStatus.SENDING, claimed_at=now, claim_token=token, **(extra or {}))
        # Whole on its own (the rows are locked and claimed in the one statement): no BEGIN and
        # COMMIT around it.
        .execution_options(synchronize_session=False, **SINGLE_STATEMENT)
    )
    session.commit()
    return token if result.rowcount else None


def claimed(
    session: Session, model: type[Row], token: str, *options: Any, order_by: Sequence[Any] = ()
) -> list[Row]:
    """The rows of claim `token`, oldest first, fresh from the database (a copy this session
    loaded earlier would still read `queued`), with what `options` load beside them."""
    query = (
        select(model)
        .where(model.claim_token == token)
        .order_by(*order_by, model.id)
        .options(*options)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def renew(session: Session, model: type[OutboxRow], token: str, now: dt.datetime) -> None:
    """Still alive and still working through the batch: keep the rest of it ours."""
    session.execute(
        update(model)
        .where(model.claim_token == token, model.status == OutboxStatus.SENDING)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def release(session: Session, model: type[OutboxRow], token: str) -> None:
    """Put what this claim took and did not reach back in the queue, for the next pass."""
    session.execute(
        update(model)
        .where(model.claim_token == token, model.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.QUEUED, claimed_at=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
