"""How a call's row and its turns are read and written, on every voice webhook.

A plain turn, whose state came in its URL (`turn_state`), is one conditional write: the row is
changed only if it still stands where the URL said, and the turn is logged in the same statement
(`save_light_turn`).

A turn is the call's row changed and the turn logged with the reply it got. On PostgreSQL both
go as one statement (the row's INSERT or UPDATE in a WITH, feeding the turn's INSERT), which is
whole on its own and needs no transaction around it. When the turn changed other rows too (it
filed a report), they go in the same statement when they can (`in_one_statement`); otherwise
the unit of work writes them first and the one statement follows, in the same transaction.
Elsewhere the unit of work writes the row and a plain INSERT logs the turn.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    CursorResult,
    Insert,
    String,
    Update,
    and_,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstanceState, Session

from app import in_one_statement
from app.calls.turn_state import LightCall
from app.db import SINGLE_STATEMENT
from app.incidents import catalog
from app.models import Call, CallTurn, Incident

# Built once: every webhook runs these, and building a statement costs more CPU than sending it.
FIND_CALL = select(Call).where(Call.call_sid == bindparam("call_sid"))
STORED_TURN = select(CallTurn.reply).where(
    CallTurn.call_id == bindparam("call_id"), CallTurn.turn == bindparam("turn")
)


# The call with the incident its caller was told of, which the turns that read the row after
# that (the review files the report into it) would otherwise read on their own.
FIND_CALL_AND_INCIDENT = (
    select(Call, Incident)
    .outerjoin(Incident, Incident.id == bindparam("incident_id"))
    .where(Call.call_sid == bindparam("call_sid"))
)
READ_WITH_CALL = "incident_read_with_call"


def find(session: Session, call_sid: str, with_incident: int | None = None) -> Call | None:
    """The call; `with_incident`: an incident to read in the same statement (it is then in the
    session, and `session.get` finds it without a query). Any id will do: the row's own
    answers still decide what the turn does with it."""
    if with_incident is None:
        return session.scalar(FIND_CALL, {"call_sid": call_sid})
    found = session.execute(
        FIND_CALL_AND_INCIDENT, {"call_sid": call_sid, "incident_id": with_incident}
    ).first()
    if found is None:
        return None
    # The identity map holds rows weakly: the session keeps this one until it closes.
    session.info[READ_WITH_CALL] = found[1]
    return found[0]


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
    # The other rows (a report filed into an open incident) go in the same statement when
    # they can; otherwise the unit of work writes them first, in the same transaction.
    with_them = in_one_statement.plan(session, call, catalog.CACHED) if others else None
    # Out of the session: the flush of the other rows leaves the call to the one statement,
    # and the commit then has nothing left to flush (a flush that finds nothing still walks
    # the unit of work).
    session.expunge(call)
    statement = _call_and_turn(new_call, tuple(sorted(fields)), tuple(logged))
    if with_them is not None:
        statement = statement.add_cte(*with_them.ctes)
    elif others:
        session.flush()
    values = {f"call_{key}": value for key, value in fields.items()}
    values.update({f"turn_{key}": value for key, value in logged.items()}, call_id=call.id)
    # Core, not the ORM's bulk path: nothing here needs the identity map.
    session.connection().execute(statement, values)
    if with_them is not None:
        in_one_statement.settle(session, with_them)
    return True


def _new_call(state: InstanceState[Call]) -> dict[str, Any]:
    return {key: value for key, value in state.dict.items() if key in Call.__table__.c}


def _changed(call: Call) -> dict[str, Any] | None:
    """The call's changed columns; None when that cannot be said without the unit of work."""
    state = inspect(call)
    if state.pending:
        return None
    try:
        changes = in_one_statement.changes_of(state)
    except in_one_statement.NotPlain:
        return None
    # Bound as the statement's parameters: a value worked out in SQL is not one.
    if any(isinstance(value, ColumnElement) for value in changes.values.values()):
        return None
    return changes.values


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


def save_light_turn(session: Session, call: LightCall, logged: dict[str, Any]) -> bool:
    """Write a turn taken from its URL's state: the row changes only if it stands where the URL
    said (turn, step, stage, tries, language, no staff member, the caller's number and source
    as this webhook gives them, every carried answer the turn read), and the turn is logged.
    False when it did not match; the caller then rolls back and takes the turn from the row.
    The caller commits."""
    answers = call.answers
    values = _light_values(call)
    assumed = tuple(sorted(answers.assumed))
    if session.get_bind().dialect.name == "postgresql":
        statement = _light_turn_pg(assumed, bool(answers.new), tuple(logged))
        values.update({f"turn_{key}": value for key, value in logged.items()})
        result: CursorResult[Any] = session.connection().execute(statement, values)
        return result.rowcount == 1
    changed = session.connection().execute(
        _light_update("sqlite", assumed, bool(answers.new)), values
    )
    call_id = changed.scalar()
    if call_id is None:
        return False
    session.execute(insert(CallTurn), [{"call_id": call_id, **logged}])
    return True


def _light_values(call: LightCall) -> dict[str, Any]:
    """The light write's parameters but the turn's own (turn_<column>)."""
    claimed, answers = call.claimed, call.answers
    return {
        "sid": call.call_sid,
        "was_turn": call.turn - 1,
        "was_step": claimed.step,
        "was_stage": claimed.stage,
        "was_attempts": claimed.attempts,
        "was_misses": claimed.misses,
        "in_language": claimed.language,
        "by_number": call.from_number,
        "by_source": call.source,
        "to_step": call.step,
        "to_stage": call.stage,
        "to_attempts": call.attempts,
        "to_misses": call.misses,
        "to_turn": call.turn,
        "new": answers.new,
        **{f"assumed_{key}": json.dumps(value) for key, value in answers.assumed.items()},
    }


@functools.cache
def _light_update(dialect: str, assumed: tuple[str, ...], new_answers: bool) -> Update:
    calls = Call.__table__.c
    stage_type = calls.stage.type
    matches: list[ColumnElement[bool]] = [
        calls.call_sid == bindparam("sid"),
        calls.turn == bindparam("was_turn"),
        calls.step == bindparam("was_step"),
        calls.stage == bindparam("was_stage", type_=stage_type),
        calls.attempts == bindparam("was_attempts"),
        calls.misses == bindparam("was_misses"),
        calls.language == bindparam("in_language"),
        calls.staff_user_id.is_(None),
        calls.from_number == bindparam("by_number"),
        calls.source == bindparam("by_source"),
    ]
    for key in assumed:
        # Missing and JSON null are the same claim: the row has no such answer.
        matches.append(_answer_of(dialect, key) == _claim(dialect, key))
    changes: dict[str, Any] = {
        "step": bindparam("to_step"),
        "stage": bindparam("to_stage", type_=stage_type),
        "attempts": bindparam("to_attempts"),
        "misses": bindparam("to_misses"),
        "turn": bindparam("to_turn"),
    }
    if new_answers:
        new = bindparam("new", type_=JSON)
        changes["answers"] = (
            cast(cast(calls.answers, JSONB).op("||")(cast(new, JSONB)), JSON)
            if dialect == "postgresql"
            # json_patch drops a key set to null; reading it back gives None all the same.
            else func.json_patch(calls.answers, new)
        )
    return update(Call).where(and_(*matches)).values(changes).returning(calls.id)


def _answer_of(dialect: str, key: str) -> ColumnElement[Any]:
    """The row's answer as JSON text ('null' when it has none), to compare with a claim."""
    answers = Call.__table__.c.answers
    if dialect == "postgresql":
        found = cast(answers, JSONB).op("->", return_type=JSONB)(literal(key, String))
        return func.coalesce(found, cast(literal("null", String), JSONB))
    found = answers.op("->", return_type=String)(literal(f"$.{key}", String))
    return func.coalesce(found, literal("null", String))


def _claim(dialect: str, key: str) -> ColumnElement[Any]:
    claim = bindparam(f"assumed_{key}", type_=String)
    return cast(claim, JSONB) if dialect == "postgresql" else claim


@functools.cache
def _light_turn_pg(
    assumed: tuple[str, ...], new_answers: bool, turn_keys: tuple[str, ...]
) -> Insert:
    written = _light_update("postgresql", assumed, new_answers).cte("written")
    turns = CallTurn.__table__.c
    logged = [bindparam(f"turn_{key}", type_=turns[key].type) for key in turn_keys]
    return (
        insert(CallTurn)
        .from_select(["call_id", *turn_keys], select(written.c.id, *logged))
        # An INSERT keeps its row count only when asked: it says whether the row matched.
        .execution_options(preserve_rowcount=True, **SINGLE_STATEMENT)
    )
