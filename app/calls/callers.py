"""Who is calling, as the greeting needs to know before the first question: a responder who may
join an open joint call, a caller whose own report is still open, and the language a caller
chose before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, String, and_, bindparam, exists, select
from sqlalchemy.orm import Session

from app.db import upsert_for
from app.models import (
    FINISHED_STATES,
    UNRESOLVED_STATES,
    CallerLanguage,
    Incident,
    JointCallLeg,
    Report,
    Responder,
)


@dataclass(frozen=True)
class Caller:
    """What the line knows of a number as it rings, from one statement."""

    # The language it chose on an earlier call, if it chose one.
    language: str | None = None
    # A responder's phone, while some joint call is open.
    may_join: bool = False
    # The newest open or acknowledged incident reported from it (from it, not to it: a
    # callback number keyed in may be anyone's).
    open_incident_id: int | None = None


def _who_is_calling() -> Select[str | None, bool, int | None]:
    caller = bindparam("caller", type_=String)
    language = (
        select(CallerLanguage.language).where(CallerLanguage.number == caller).scalar_subquery()
    )
    responder = exists().where(
        Responder.phone == caller, Responder.active, Responder.verified_at.is_not(None)
    )
    open_leg = exists(
        select(JointCallLeg.id)
        .join(Incident)
        .where(JointCallLeg.left_at.is_(None), Incident.state.not_in(FINISHED_STATES))
    )
    reported = (
        select(Incident.id)
        .join(Report)
        .where(Report.caller_number == caller, Incident.state.in_(UNRESOLVED_STATES))
        .order_by(Incident.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(language, and_(responder, open_leg), reported)


# Built once: every call runs it, and building it cost more CPU than sending it.
WHO_IS_CALLING = _who_is_calling()


def who_is_calling(session: Session, caller: str | None) -> Caller:
    """One SELECT of three subqueries, on every call."""
    if not caller:
        return Caller()
    row = session.execute(WHO_IS_CALLING, {"caller": caller}).one()
    return Caller(language=row[0], may_join=bool(row[1]), open_incident_id=row[2])


def remember_language(session: Session, caller: str, code: str, now: dt.datetime) -> None:
    """Keep the caller's choice for their next call (two calls from one number at once: the
    later choice stands, and neither fails)."""
    if not caller:
        return
    values = {"number": caller, "language": code, "chosen_at": now}
    session.execute(
        upsert_for(session)(CallerLanguage)
        .values(**values)
        .on_conflict_do_update(index_elements=["number"], set_={"language": code, "chosen_at": now})
    )
