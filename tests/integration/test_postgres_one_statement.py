"""A caller's join written as one statement (app/in_one_statement.py), on PostgreSQL: whole or not
at all, with the rows a ticketing system needs, and the session left with nothing to flush."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app, in_one_statement
from app.adapters.gateways import ConsoleGateway
from app.adapters.simulator import Answer, Ask, scripted
from app.incidents.service import IncidentDraft, add_report
from app.models import (
    Call,
    CallTurn,
    Channel,
    EventKind,
    Incident,
    IncidentEvent,
    NotificationKind,
    Report,
    Service,
    TicketUpdate,
)
from tests.integration.test_postgres_voice import _review_statements
from tests.support import (
    CALLER,
    FULL_CANVAS_CALL,
    TEST_SETTINGS,
    TwilioClient,
    sessions_come_to,
    statements_on,
)

pytestmark = pytest.mark.postgres
JOINING = (*FULL_CANVAS_CALL[:2], "press 1", *FULL_CANVAS_CALL[2:])
JOINER = "+13195550177"
REPORTER_WINDOW = dt.timedelta(minutes=15)


def test_a_join_queues_its_ticket_update_in_the_same_statement(pg_app, postgres_url, clock):
    """With a ticketing system, the timeline entry brings a ticket update that refers to it: both
    new rows, written in the one statement, the update pointing at the entry's new id."""
    TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    tickets = create_app(
        {
            **TEST_SETTINGS,
            "DATABASE_URL": postgres_url,
            "TICKETS_BACKEND": "webhook",
            "TICKETS_WEBHOOK_URL": "http://127.0.0.1:9/unused",
            "TICKETS_WEBHOOK_SECRET": "test",
        },
        clock=clock,
        gateway=ConsoleGateway(),
    )
    try:
        review, heard = _review_statements(tickets, *JOINING, caller=JOINER)
    finally:
        tickets.extensions["db"].engine.dispose()
    assert "Your details were added to incident" in heard
    assert len(review) == 3 and "INSERT INTO ticket_updates" in review[-1], review
    with pg_app.extensions["db"].sessionmaker() as session:
        [added] = session.scalars(
            select(IncidentEvent).where(IncidentEvent.kind == EventKind.REPORT_ADDED)
        ).all()
        [update] = session.scalars(
            select(TicketUpdate).where(TicketUpdate.kind == EventKind.REPORT_ADDED)
        ).all()
        assert update.event_id == added.id and update.incident_id == added.incident_id


def test_a_join_that_cannot_be_stored_leaves_nothing_behind(pg_app):
    """The same review webhook already answered (its turn is stored) when this one writes: the
    statement fails on the turn's key, and none of the join is kept: no report, no timeline
    entry, no receipt, the count as it was. The caller hears the stored answer; hanging up
    then files their report once."""
    TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    script = scripted(JOINING)
    sessions = pg_app.extensions["db"].sessionmaker
    asked = 0
    between: dict[str, object] = {}

    def answer(ask: Ask) -> Answer:
        nonlocal asked
        asked += 1
        with sessions.begin() as session:
            call = session.scalars(select(Call).where(Call.from_number == JOINER)).one()
            if asked == len(JOINING):
                # Just before the caller confirms, "another copy" of that turn is stored.
                stored = session.scalars(select(CallTurn).where(CallTurn.step == "review")).one()
                session.add(
                    CallTurn(
                        call_id=call.id,
                        turn=call.turn + 1,
                        step=call.step,
                        params={},
                        reply=stored.reply,
                        at=stored.at,
                    )
                )
            if asked > len(JOINING):
                incident = session.scalars(select(Incident)).one()
                between.update(
                    callers=incident.callers,
                    reports=session.scalar(select(func.count()).select_from(Report)),
                    added=sum(e.kind == EventKind.REPORT_ADDED for e in incident.events),
                    receipts=sum(n.to_number == JOINER for n in incident.notifications),
                    filed=call.incident_id,
                )
                return Answer("hangup")
        return script(ask)

    transcript = TwilioClient(pg_app).call_answering(answer, caller=JOINER)
    assert not transcript.errors
    assert "Your details were added to incident" not in transcript.text
    assert between == {"callers": 1, "reports": 1, "added": 0, "receipts": 0, "filed": None}
    with sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.callers == 2
        assert sum(e.kind == EventKind.REPORT_ADDED for e in incident.events) == 1
        assert sum(n.to_number == JOINER for n in incident.notifications) == 1


def test_after_the_statement_the_session_has_nothing_left_to_flush(pg_app, clock):
    """New rows leave the session; a changed row keeps its new values, and one the database
    worked out (a count) is read again when asked for."""
    TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    now = clock.now()
    with pg_app.extensions["db"].sessionmaker() as session:
        incident = session.scalars(select(Incident)).one()
        event = IncidentEvent(
            incident=incident,
            at=now,
            kind=EventKind.NOTE,
            actor="test",
            channel=Channel.DASHBOARD,
            detail="one statement",
        )
        session.add(event)
        incident.updated_at = now + dt.timedelta(minutes=1)
        incident.callers = Incident.callers + 1
        planned = in_one_statement.plan(session, None)
        assert planned is not None and len(planned.ctes) == 2
        with statements_on(session.get_bind()) as sent:
            session.connection().execute(select(1).add_cte(*planned.ctes))
            in_one_statement.settle(session, planned)
            assert not session.is_modified(incident)
            session.commit()
        # The statement, whole on its own; the commit has nothing to send.
        assert len(sent) == 1 and sent[0].startswith("WITH written_0 AS"), sent
        assert incident.updated_at == now + dt.timedelta(minutes=1)
        assert incident.callers == 2  # read again
    with pg_app.extensions["db"].sessionmaker() as session:
        notes = session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "note")).all()
        assert [n.detail for n in notes] == ["one statement"]


def test_what_needs_the_unit_of_work_is_left_to_it(pg_app, clock):
    """A deletion, or a row of a kind someone watches the flush for (the catalog's cache), is
    not written this way."""
    TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    with pg_app.extensions["db"].sessionmaker() as session:
        incident = session.scalars(select(Incident)).one()
        incident.callers = Incident.callers + 1
        assert in_one_statement.plan(session, None) is not None
        service = session.scalars(select(Service)).first()
        service.customer = "someone else"
        assert in_one_statement.plan(session, None, (Service,)) is None
        session.rollback()
        session.delete(session.scalars(select(Report)).one())
        assert in_one_statement.plan(session, None) is None
        session.rollback()
        texts = [n for n in incident.notifications if n.kind == NotificationKind.CALLER]
        assert [t.to_number for t in texts] == [CALLER]


@pytest.mark.parametrize("in_one", [True, False], ids=["one statement", "unit of work"])
def test_joins_that_read_the_same_count_name_their_own_caller(pg_app, clock, in_one):
    """Two joins read the incident at once (both see one caller), and both writes wait for its
    row. Each timeline entry names the count as its own write left it."""
    TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    db = pg_app.extensions["db"]
    sessions = [db.sessionmaker() for _ in range(2)]
    for n, session in enumerate(sessions):
        incident = session.scalars(select(Incident)).one()
        assert incident.callers == 1
        draft = IncidentDraft(source="phone", callback_number=f"+1319555017{n}", incomplete=n == 1)
        add_report(session, clock.now(), incident, draft, "caller", "phone", REPORTER_WINDOW)

    def write(session: Session) -> None:
        with session:
            planned = in_one_statement.plan(session, None)
            if in_one:
                assert planned is not None
                session.connection().execute(select(1).add_cte(*planned.ctes))
                in_one_statement.settle(session, planned)
            session.commit()

    with db.engine.connect() as locker, ThreadPoolExecutor(2) as pool:
        locker.execute(select(Incident.id).with_for_update())
        writes = [pool.submit(write, session) for session in sessions]
        assert sessions_come_to(db.engine, "wait_event_type = 'Lock'", 2, deadline=30), (
            "both writes wait for the row"
        )
        assert not any(done.done() for done in writes)
        locker.commit()
        for done in writes:
            done.result(timeout=30)
    with db.sessionmaker() as session:
        incident = session.scalars(select(Incident)).one()
        added = [e.detail for e in incident.events if e.kind == EventKind.REPORT_ADDED]
        assert incident.callers == 3
        assert sorted(added) == ["caller 2", "caller 3; hung up before finishing"] or sorted(
            added
        ) == ["caller 2; hung up before finishing", "caller 3"], added
