"""The voice menu on the real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest
from flask import request, request_started
from sqlalchemy import func, select

from app.adapters.simulator import Answer, Ask, Transcript, scripted
from app.models import Call, CallStatus, CallTurn, EventKind, Incident
from tests.paging_support import run_worker
from tests.security.test_long_answers import LONG, NAME, stuck_call
from tests.support import CALLER, FULL_CANVAS_CALL, TwilioClient, statements_on

pytestmark = pytest.mark.postgres


def test_full_call_on_postgres(pg_app):
    transcript = TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    assert transcript.text.count("A, H, 1, 0, 0, 1") == 2
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        incident = session.scalars(select(Incident)).one()
        assert incident.service.slug == "canvas"
        assert incident.created_at.tzinfo is not None
        session.close()


def test_the_same_webhook_racing_itself_is_answered_once(pg_app):
    twilio = TwilioClient(pg_app)
    twilio.voice("/voice/incoming", "CA-race")
    replies: list[str] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        client = TwilioClient(pg_app)
        barrier.wait()
        replies.append(
            client.voice("/voice/answer/service?turn=1", "CA-race", SpeechResult="canvas").text
        )

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 6 and len(set(replies)) == 1
    assert "I heard Canvas" in replies[0]
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        assert session.scalar(select(func.count()).select_from(CallTurn)) == 2
        session.close()


def test_hang_up_leaves_an_incomplete_incident_on_postgres(pg_app):
    TwilioClient(pg_app).call("say vpn", "press 1", "say cannot connect", "hangup")
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        incident = session.scalars(select(Incident)).one()
        assert incident.incomplete and incident.description == "cannot connect"
        session.close()


def test_callers_confirming_at_the_same_moment_open_one_incident(pg_app):
    # Six people report Canvas at once; nobody was told it was known (it was not yet). However
    # their last webhooks interleave, one incident opens and the other five join it.
    callers = 6
    barrier = threading.Barrier(callers)
    transcripts: list[Transcript] = []

    def call(n: int) -> None:
        script = scripted(FULL_CANVAS_CALL)
        asked = 0

        def answer(ask: Ask) -> Answer:
            nonlocal asked
            asked += 1
            if asked == len(FULL_CANVAS_CALL):  # everyone confirms the review together
                barrier.wait()
            return script(ask)

        transcripts.append(TwilioClient(pg_app).call_answering(answer, caller=f"+131955520{n:02d}"))

    threads = [threading.Thread(target=call, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(transcripts) == callers
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        [incident] = session.scalars(select(Incident)).all()
        assert len(incident.reports) == callers
        assert incident.callers == callers  # counted in the database, not by each joiner
        pages = [n for n in incident.notifications if n.kind == "page"]
        assert len(pages) == 1
        session.close()
    added = [t for t in transcripts if "Your details were added to incident" in t.text]
    assert len(added) == callers - 1


def test_each_answer_is_its_read_and_one_write_on_postgres(pg_app):
    """Every plain answer: the call read, then its changes and its turn log in one statement,
    with no BEGIN or COMMIT around them (two round trips); a repeated webhook still hears the
    reply it got, and the call reads as it should after."""
    twilio = TwilioClient(pg_app)
    with statements_on(pg_app.extensions["db"].engine) as opening:
        twilio.voice("/voice/incoming", "CA-one")
    # The call and its first turn stored by one statement, outside any transaction.
    assert [s.split(" (")[0] for s in opening if not s.startswith("SELECT ")] == [
        "WITH written AS"
    ], opening
    assert "INSERT INTO calls" in opening[-1] and "INSERT INTO call_turns" in opening[-1]
    with statements_on(pg_app.extensions["db"].engine) as statements:
        first = twilio.voice("/voice/answer/service?turn=1", "CA-one", SpeechResult="canvas")
        confirm = twilio.voice("/voice/answer/service?turn=2", "CA-one", Digits="1")
    # Reads (the call; for the confirmed service, its open incident), then one write each.
    writes = [s for s in statements if not s.startswith("SELECT ")]
    assert len(writes) == 2, statements
    assert all(s.startswith("WITH written AS (UPDATE calls SET") for s in writes)
    assert len(statements) == 5, statements  # round trips: no BEGIN, no COMMIT
    repeat = twilio.voice("/voice/answer/service?turn=1", "CA-one", SpeechResult="canvas")
    assert repeat.text == first.text
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        call = session.scalars(select(Call)).one()
        assert call.turn == 2 and call.answers["service_id"] is not None
        assert call.step == "description" and "describe what is wrong" in confirm.text
        turns = session.scalars(select(CallTurn).order_by(CallTurn.turn)).all()
        assert [t.turn for t in turns] == [0, 1, 2]
        assert turns[1].params == {"speech": "canvas"}
        session.close()


def _review_statements(app, *answers: str, caller: str = CALLER) -> tuple[list[str], str]:
    """What the review webhook (the turn that files the report) sent, and what the caller heard."""
    started: list[tuple[str, int]] = []

    def mark(_sender: object, **_extra: object) -> None:
        started.append((request.path, len(statements)))

    request_started.connect(mark, app)
    with statements_on(app.extensions["db"].engine) as statements:
        transcript = TwilioClient(app).call(*answers, caller=caller)
    request_started.disconnect(mark, app)
    [begin] = [at for path, at in started if path.endswith("/review")]
    end = next(at for _, at in started if at > begin)
    return statements[begin:end], transcript.text


def test_opening_an_incident_pages_within_a_short_transaction(pg_app):
    """The report that opens an incident pages the on-call admin in the caller's own request, and
    the page is due from the moment it is written: what runs between then and the commit is what
    the admin waits for. The policy and its steps, and who is on call with the overrides that
    apply now, are one statement each; the reply code is one insert (a clash does nothing and
    draws again, no SAVEPOINT); nothing of the new incident is read back; the call and its turn
    go last, as one statement."""
    review, heard = _review_statements(pg_app, *FULL_CANVAS_CALL)
    assert "administrator will call you back within 60 minutes" in heard
    assert not any(s.startswith("SAVEPOINT") for s in review), review
    for table in ("escalation_policies", "rotations", "reply_codes"):
        assert sum(f"FROM {table}" in s for s in review if s.startswith("SELECT")) == 1, table
    for table in ("escalation_steps", "rotation_members", "overrides", "notifications", "reports"):
        assert not any(s.startswith(f"SELECT {table}.") for s in review), table
    # The incident's escalation, its first page and the call with its turn: one statement.
    last = review[-2]
    assert last.startswith("WITH written_0 AS (UPDATE incidents SET")
    assert review[-1] == "COMMIT"
    assert "INSERT INTO notifications" in last and "written AS (UPDATE calls" in last, last
    assert not any(s.startswith("UPDATE incidents") for s in review), review
    assert len(review) == 15, review
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        [incident] = session.scalars(select(Incident)).all()
        [page] = [n for n in incident.notifications if n.kind == "page"]
        assert "Reply 1a ack" in page.body and page.responder.name == "Pat Lee"
        call = session.scalars(select(Call)).one()
        assert call.incident_id == incident.id and call.status == CallStatus.REPORTED
        session.close()


def test_a_caller_joining_the_outage_files_in_three_round_trips(pg_app):
    """The storm's common turn: the call read with the incident the caller was told of, then
    this caller's earlier reports; then the report, its timeline entry, the receipt, the
    incident's count and the call with its turn as one statement, whole on its own: no BEGIN,
    no COMMIT, and the incident's row locked for that statement alone."""
    TwilioClient(pg_app).call(*FULL_CANVAS_CALL)
    joining = (*FULL_CANVAS_CALL[:2], "press 1", *FULL_CANVAS_CALL[2:])
    review, heard = _review_statements(pg_app, *joining, caller="+13195550177")
    assert "Your details were added to incident" in heard
    assert len(review) == 3, review
    read, earlier, written = review
    assert read.startswith("SELECT calls.id") and "LEFT OUTER JOIN incidents" in read
    assert earlier.startswith("SELECT reports.email")
    for part in (
        "INSERT INTO reports",
        "INSERT INTO incident_events",
        "INSERT INTO notifications",
        "UPDATE incidents SET callers=(incidents.callers + ",
        "written AS (UPDATE calls",
        "INSERT INTO call_turns",
    ):
        assert part in written, part
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        incident = session.scalars(select(Incident)).one()
        assert incident.callers == 2
        [added] = [e for e in incident.events if e.kind == EventKind.REPORT_ADDED]
        assert added.detail == "caller 2"
        assert [r.caller_number for r in incident.reports] == [CALLER, "+13195550177"]
        [receipt] = [n for n in incident.notifications if n.to_number == "+13195550177"]
        assert "your details were added to the report about Canvas" in receipt.body
        calls = session.scalars(select(Call).order_by(Call.id)).all()
        assert [c.incident_id for c in calls] == [incident.id, incident.id]
        logged = session.execute(select(CallTurn.call_id, func.count()).group_by(CallTurn.call_id))
        assert {call_id: n for call_id, n in logged} == {c.id: c.turn + 1 for c in calls}
        session.close()


def test_long_answers_are_filed_and_a_poisoned_call_is_set_aside_on_postgres(pg_app, clock):
    """PostgreSQL refuses a value longer than its column and a word where a number belongs:
    the long answers are cut before they get there, and the call whose stored answer fails in
    the database is set aside (its transaction rolled back) while the one beside it is filed."""
    twilio = TwilioClient(pg_app)
    answers = ("say canvas", "press 1", "say down", f"say {LONG}", f"say {LONG}", "press 1")
    transcript = twilio.call(*answers, f"say {NAME}", "press 1", "press 1")
    assert "A, H, 1, 0, 0, 1" in transcript.text
    stuck_call(twilio, "CA-poisoned", "+13195550181")
    stuck_call(twilio, "CA-normal", "+13195550182")
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        poisoned = session.scalar(select(Call).where(Call.call_sid == "CA-poisoned"))
        poisoned.answers = {**poisoned.answers, "attach_to": "AH-1001"}
        session.commit()
        clock.advance(minutes=16)
        run_worker(pg_app, clock)
        session.expire_all()
        status = dict(session.execute(select(Call.call_sid, Call.status)).all())
        assert status["CA-poisoned"] == CallStatus.PARKED
        assert status["CA-normal"] == CallStatus.REPORTED
        incident = session.scalars(select(Incident)).one()
        assert len(incident.started_text) == 500 and len(incident.responsible_party) == 200
        assert [r.caller_number for r in incident.reports] == [CALLER, "+13195550182"]
        session.close()


def test_callers_past_the_flood_limit_at_the_same_moment_open_one_possible_flood(pg_app, clock):
    """The line has opened its limit of incidents this minute; six more callers, each about a
    different unknown service from a number of their own, send their reports together: one
    possible-flood incident opens (one page), and the other five join it."""
    from tests.security.test_floods import stranger

    twilio = TwilioClient(pg_app)
    for n in range(10):
        stranger(twilio, n)
    callers = 6
    barrier = threading.Barrier(callers)
    steps = 10  # the answers `stranger` gives

    def call(n: int) -> None:
        asked = 0
        answers = (
            f"say lab system {n}",
            f"say lab system {n}",
            "say it is down",
            "say just now",
            "say at nine",
            "press 1",
            "say Dana",
            "press 2",
            "press 1",
            "press 1",
        )
        script = scripted(answers)

        def answer(ask: Ask) -> Answer:
            nonlocal asked
            asked += 1
            if asked == steps:  # everyone sends the report together
                barrier.wait()
            return script(ask)

        TwilioClient(pg_app).call_answering(answer, caller=f"+131955504{n:02d}")

    threads = [threading.Thread(target=call, args=(20 + n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pg_app.app_context():
        session = pg_app.extensions["db"].sessionmaker()
        [flood] = session.scalars(select(Incident).where(Incident.possible_flood)).all()
        assert flood.callers == callers and len(flood.reports) == callers
        assert session.scalar(select(func.count()).select_from(Incident)) == 11
        assert len([n for n in flood.notifications if n.kind == "page"]) == 1
        session.close()
