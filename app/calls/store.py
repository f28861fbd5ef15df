"""How a call's row and its turns are read and written, on every voice webhook.

A turn is the call's row changed and the turn logged with the reply it got. On PostgreSQL both
go as one statement (the row's INSERT or UPDATE in a WITH, feeding the turn's INSERT), which is
whole on its own and needs no transaction around it; when the turn changed other rows too (it
filed a report), the unit of work writes those first and the one statement follows, in the same
transaction. Elsewhere the unit of work writes the row and a plain INSERT logs the turn.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, bindparam, insert, inspect, select, update
from sqlalchemy.orm import InstanceState, Session

from app.db import SINGLE_STATEMENT
from app.models import Call, CallTurn

# Built once: every webhook runs these, and building a statement costs more CPU than sending it.
FIND_CALL = select(Call).where(Call.call_sid == bindparam("call_sid"))
STORED_TURN = select(CallTurn.reply).where(
    CallTurn.call_id == bindparam("call_id"), CallTurn.turn == bindparam("turn")
)


def find(session: Session, call_sid: str) -> Call | None:
    return session.scalar(FIND_CALL, {"call_sid": call_sid})


def stored_reply(session: Session, call: Call, turn: int) -> dict[str, Any] | None:
    """The reply a turn already got (a repeated webhook hears it again), or None."""
    return session.scalar(STORED_TURN, {"call_id": call.id, "turn": turn})


def save_turn(session: Session, call: Call, logged: dict[str, Any]) -> None:
    """Write the call's changes and log the turn; the caller commits. A turn stored already
    (the same webhook, twice) fails on its key with IntegrityError."""
    if _save_in_one(session, call, logged):
        return
    session.flush()  # a new call gets its id
    # The turn log is append-only and never read back in this request: a plain insert costs a
    # fraction of a unit-of-work flush, on the line's hottest path.
    session.execute(insert(CallTurn), [{"call_id": call.id, **logged}])


def _save_in_one(session: Session, call: Call, logged: dict[str, Any]) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    state = inspect(call)
    new_call = state.pending
    others = any(row is not call for row in (*session.dirty, *session.new))
    fields = _new_call(state) if new_call and not others else _changed(call)
    if fields is None:
        return False
    # Out of the session: the flush of the other rows leaves the call to the one statement,
    # and the commit then has nothing left to flush (a flush that finds nothing still walks
    # the unit of work).
    session.expunge(call)
    if others:
        session.flush()
    statement = _call_and_turn(new_call, tuple(sorted(fields)), tuple(logged))
    values = {f"call_{key}": value for key, value in fields.items()}
    values.update({f"turn_{key}": value for key, value in logged.items()}, call_id=call.id)
    # Core, not the ORM's bulk path: nothing here needs the identity map.
    session.connection().execute(statement, values)
    return True


def _new_call(state: InstanceState[Call]) -> dict[str, Any]:
    return {key: value for key, value in state.dict.items() if key in Call.__table__.c}


def _changed(call: Call) -> dict[str, Any] | None:
    """The call's changed columns; None when that cannot be said without the unit of work."""
    state = inspect(call)
    if state.pending:
        return None
    fields: dict[str, Any] = {}
    for attr in state.attrs:
        if not attr.history.has_changes():
            continue
        if attr.key in Call.__table__.c:
            fields[attr.key] = attr.value
        elif attr.key == "incident" and call.incident is not None and call.incident.id:
            # The report just filed: its incident is written (or was already) and has its id.
            fields["incident_id"] = call.incident.id
        else:
            return None
    return fields


@functools.cache
def _call_and_turn(
    new_call: bool, call_keys: tuple[str, ...], turn_keys: tuple[str, ...]
) -> Insert:
    """The one statement for these columns, built once; values are bound by name
    (call_<column>, turn_<column> and call_id)."""
    calls, turns = Call.__table__.c, CallTurn.__table__.c
    values = {key: bindparam(f"call_{key}", type_=calls[key].type) for key in call_keys}
    written = (
        insert(Call).values(values)
        if new_call
        else update(Call).where(Call.id == bindparam("call_id")).values(values)
    )
    cte = written.returning(Call.id).cte("written")
    logged = [bindparam(f"turn_{key}", type_=turns[key].type) for key in turn_keys]
    return (
        insert(CallTurn)
        .from_select(["call_id", *turn_keys], select(cte.c.id, *logged))
        .execution_options(**SINGLE_STATEMENT)
    )
