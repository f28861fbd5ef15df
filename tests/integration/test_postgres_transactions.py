"""Sessions on PostgreSQL begin a transaction on their first write or row lock: what that saves,
and that nothing a transaction promised is lost (all-or-nothing writes, locks held to the
commit, a NOTIFY delivered only with it)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.models import Call, CallStatus, CallTurn, NotificationKind, Responder
from app.paging import notify, wakeup
from tests.support import CALLER, FULL_CANVAS_CALL, TwilioClient, statements_on

pytestmark = pytest.mark.postgres


def test_a_read_only_request_sends_no_begin_or_commit(pg_app):
    with statements_on(pg_app.extensions["db"].engine) as statements:
        session = pg_app.extensions["db"].sessionmaker()
        names = session.scalars(select(Responder.name)).all()
        session.commit()
        session.close()
    assert names and statements == [statements[0]] and statements[0].startswith("SELECT")


def test_writes_after_reads_are_one_transaction_and_roll_back_whole(pg_app):
    TwilioClient(pg_app).voice("/voice/incoming", "CA-tx")
    session = pg_app.extensions["db"].sessionmaker()
    with statements_on(pg_app.extensions["db"].engine) as statements:
        call = session.scalars(select(Call)).one()
        call.step = "changed"
        session.flush()
        # The same turn again: the unique (call, turn) refuses it, after the call was updated.
        session.add(CallTurn(call_id=call.id, turn=0, step="x", params={}, reply={}))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
    assert statements[0].startswith("SELECT calls.") and statements[1] == "BEGIN"
    assert statements[-1] == "ROLLBACK"
    assert session.scalars(select(Call.step)).one() != "changed"
    session.close()


def test_a_row_lock_is_held_until_the_commit(pg_app):
    TwilioClient(pg_app).voice("/voice/incoming", "CA-lock")
    holder = pg_app.extensions["db"].sessionmaker()
    other = pg_app.extensions["db"].sessionmaker()
    holder.scalars(select(Call).with_for_update()).one()
    with pytest.raises(OperationalError, match="could not obtain lock"):
        other.scalars(select(Call).with_for_update(nowait=True)).one()
    other.rollback()
    holder.commit()
    assert other.scalars(select(Call).with_for_update(nowait=True)).one().call_sid == "CA-lock"
    other.commit()
    holder.close()
    other.close()


def test_a_queued_text_wakes_the_worker_once_at_the_commit(pg_app, postgres_url, clock):
    """The trigger's NOTIFY: nothing while the queueing transaction is open, one after it
    commits however many were queued, and the text itself is not held up by a separate
    statement."""
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {wakeup.CHANNEL}")
        listener.execute(f"LISTEN {wakeup.PAGE_CHANNEL}")  # receipts do not wake the pages' lane
        session = pg_app.extensions["db"].sessionmaker()
        with statements_on(pg_app.extensions["db"].engine) as statements:
            for body in ("first", "second"):
                notify.queue(
                    session,
                    clock.now(),
                    kind=NotificationKind.CALLER,
                    channel="sms",
                    to=CALLER,
                    body=body,
                )
            session.flush()
        assert list(listener.notifies(timeout=0.3)) == []
        session.commit()
        heard = list(listener.notifies(timeout=1))
        session.close()
    assert [n.channel for n in heard] == [wakeup.CHANNEL]
    assert not any("pg_notify" in s for s in statements), statements


def test_a_queued_page_also_wakes_the_pages_lane(pg_app, postgres_url, clock):
    """A statement that queues a page (among receipts, as an opening turn does) NOTIFYs the
    pages' own channel as well as the main loop's, once each at the commit."""
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    twilio = TwilioClient(pg_app)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {wakeup.CHANNEL}")
        listener.execute(f"LISTEN {wakeup.PAGE_CHANNEL}")
        twilio.call(*FULL_CANVAS_CALL)
        heard = sorted(n.channel for n in listener.notifies(timeout=1))
    assert heard == sorted([wakeup.CHANNEL, wakeup.PAGE_CHANNEL]), heard


def test_a_single_statement_write_stands_alone(pg_app):
    """The call's end, one UPDATE by CallSid after the report was filed, is its own commit."""
    twilio = TwilioClient(pg_app)
    twilio.voice("/voice/incoming", "CA-end")
    session = pg_app.extensions["db"].sessionmaker()
    session.execute(update(Call).values(status=CallStatus.REPORTED))
    session.commit()
    with statements_on(pg_app.extensions["db"].engine) as statements:
        response = twilio.post(
            "/voice/status", {"CallSid": "CA-end", "CallStatus": "completed", "CallDuration": "61"}
        )
    assert response.status_code in (200, 204)
    assert len(statements) == 1 and statements[0].startswith("UPDATE calls SET ended_at")
    assert session.scalar(select(func.count()).where(Call.duration_seconds == 61)) == 1
    session.close()


def test_a_savepoint_after_reads_opens_the_transaction_and_rolls_back_alone(pg_app):
    """An outside system's health row is made in a SAVEPOINT on first use (a clash reads the
    other's): after only reads, the SAVEPOINT must still sit inside a transaction, and undo only
    its own part."""
    TwilioClient(pg_app).voice("/voice/incoming", "CA-save")
    session = pg_app.extensions["db"].sessionmaker()
    call = session.scalars(select(Call)).one()
    with statements_on(pg_app.extensions["db"].engine) as statements:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(CallTurn(call_id=call.id, turn=0, step="x", params={}, reply={}))
            session.flush()
        call.step = "kept"
        session.commit()
    assert statements[:2] == ["BEGIN", "SAVEPOINT sa_savepoint_1"], statements
    assert statements[-1] == "COMMIT"
    assert session.scalars(select(Call.step)).one() == "kept"
    session.close()
