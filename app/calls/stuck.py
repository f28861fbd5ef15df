"""Calls that ended without telling the line: still "in progress" with no webhook for
STUCK_AFTER (the database was down when they ended, or the status callback never came). Each
ends as a hang-up would, so what the caller said becomes an incident marked incomplete; one that
cannot be filed is set aside and the leads are told, and the sweep carries on."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from app.calls.menu import VoiceMenu
from app.models import Call, CallStatus, CallTurn
from app.outbox.claims import skip_locked
from app.outbox.health import tell_leads

log = logging.getLogger(__name__)

# A call with no webhook for this long has ended without telling us.
STUCK_AFTER = dt.timedelta(minutes=15)


def sweep_stuck(menu: VoiceMenu, now: dt.datetime, limit: int = 100) -> int:
    session = menu.session
    last_turn = select(func.max(CallTurn.at)).where(CallTurn.call_id == Call.id).scalar_subquery()
    query = skip_locked(
        select(Call)
        .where(
            Call.status == CallStatus.IN_PROGRESS,
            Call.started_at < now - STUCK_AFTER,
            func.coalesce(last_turn, Call.started_at) < now - STUCK_AFTER,
        )
        .order_by(Call.id)
        .limit(1)
    ).execution_options(populate_existing=True)
    swept = 0
    # One call per transaction, each locked until it is filed: two workers never file the
    # same call.
    while swept < limit and (call := session.scalar(query)) is not None:
        call_id, call_sid = call.id, call.call_sid
        try:
            menu.end_stuck(call_sid)
        except (OperationalError, InterfaceError):
            raise  # the database itself: the whole pass is retried
        except Exception as exc:
            # One call that cannot be filed never holds up the calls behind it.
            session.rollback()
            _park(menu, call_id, call_sid, now, exc)
        swept += 1
    return swept


def _park(menu: VoiceMenu, call_id: int, call_sid: str, now: dt.datetime, exc: Exception) -> None:
    session = menu.session
    session.execute(
        update(Call)
        .where(Call.id == call_id)
        .values(status=CallStatus.PARKED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    tell_leads(
        session,
        now,
        "A call could not be filed",
        f"The call {call_sid} ended without telling the line, and what the caller said "
        f"could not be filed as an incident ({error}). It is set aside with its answers "
        "in the calls table; the other calls go on being filed.",
    )
    session.commit()
    log.error("call %s could not be filed and is set aside: %s", call_sid, error)
