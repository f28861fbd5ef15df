"""Who is calling, as the greeting needs to know before the first question: a responder who may
join an open joint call, a caller whose own report is still open, and the language a caller
chose before."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import (
    FINISHED_STATES,
    UNRESOLVED_STATES,
    CallerLanguage,
    Incident,
    JointCallLeg,
    Report,
    Responder,
)


def may_join_a_joint_call(session: Session, caller: str | None) -> bool:
    """A responder's phone, while some joint call is open: one statement on every call."""
    if not caller:
        return False
    open_leg = (
        select(JointCallLeg.id)
        .join(Incident)
        .where(
            JointCallLeg.left_at.is_(None),
            Incident.state.not_in(FINISHED_STATES),
            exists().where(
                Responder.phone == caller,
                Responder.active,
                Responder.verified_at.is_not(None),
            ),
        )
        .limit(1)
    )
    return session.scalar(open_leg) is not None


def open_report_of(session: Session, caller: str | None) -> Incident | None:
    """The newest open or acknowledged incident reported from this number, if any (from it,
    not to it: a callback number keyed in may be anyone's)."""
    if not caller:
        return None
    query = (
        select(Incident)
        .join(Report)
        .where(Report.caller_number == caller, Incident.state.in_(UNRESOLVED_STATES))
        .order_by(Incident.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def language_of(session: Session, caller: str | None) -> str | None:
    """The language this number chose on an earlier call, if it chose one."""
    if not caller:
        return None
    return session.scalar(select(CallerLanguage.language).where(CallerLanguage.number == caller))


def remember_language(session: Session, caller: str, code: str, now: dt.datetime) -> None:
    """Keep the caller's choice for their next call (two calls from one number at once: the
    later choice stands, and neither fails)."""
    if not caller:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"number": caller, "language": code, "chosen_at": now}
    session.execute(
        insert(CallerLanguage)
        .values(**values)
        .on_conflict_do_update(index_elements=["number"], set_={"language": code, "chosen_at": now})
    )
