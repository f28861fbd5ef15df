"""The short codes in a responder's replies (`12` in `12a`): one per responder and incident,
small numbers reused once the incident they named is finished."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app.db import upsert_for
from app.models import FINISHED_STATES, Incident, ReplyCode, Responder


def for_page(session: Session, responder: Responder, incident: Incident) -> int:
    """The short code for this incident in this responder's replies (`12` in `12a`).

    Codes are small numbers, reused once the incident they named is closed, so a responder never
    has to type more than a couple of digits.
    """
    taken: set[int] = set()
    for _ in range(50):
        rows = session.execute(
            select(ReplyCode.id, ReplyCode.incident_id, ReplyCode.code, Incident.state)
            .join(Incident, Incident.id == ReplyCode.incident_id)
            .where(ReplyCode.responder_id == responder.id)
        ).all()
        mine = next((row.code for row in rows if row.incident_id == incident.id), None)
        if mine is not None:
            return mine
        in_use = {row.code for row in rows if row.state not in FINISHED_STATES} | taken
        code = next(n for n in range(1, len(in_use) + 2) if n not in in_use)
        reused = [row.id for row in rows if row.code == code and row.state in FINISHED_STATES]
        if reused:
            session.execute(
                delete(ReplyCode)
                .where(ReplyCode.id.in_(reused))
                .execution_options(synchronize_session=False)
            )
        # Another transaction paging the same responder may pick the same number at the same
        # moment (or give this incident its code first): the unique indexes decide, the insert
        # then does nothing, and the next round reads again. No SAVEPOINT is needed.
        if session.scalar(_insert_code(session, responder.id, incident.id, code)) is not None:
            return code
        taken.add(code)
    raise RuntimeError(f"no free reply code for responder {responder.id}")


def _insert_code(
    session: Session, responder_id: int, incident_id: int, code: int
) -> ReturningInsert[int]:
    return (
        upsert_for(session)(ReplyCode)
        .values(responder_id=responder_id, incident_id=incident_id, code=code)
        .on_conflict_do_nothing()
        .returning(ReplyCode.code)
    )
