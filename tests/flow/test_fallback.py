"""The fallback line: with the database unreachable a caller still leaves a voicemail and a
callback number on local disk, and it becomes an incident once the database is back."""

from __future__ import annotations

import datetime as dt
import json
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.calls import spool
from app.models import Incident
from app.phones import CallbackPolicy
from tests.conftest import _seed
from tests.paging_support import run_worker
from tests.support import CALLER, TwilioClient

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123"


def test_a_voicemail_is_kept_on_disk_without_a_database_then_becomes_an_incident(
    settings, clock, app, session
):
    spool = Path(str(settings["VOICEMAIL_SPOOL_DIR"]))
    down = create_app({**settings, "DATABASE_URL": UNREACHABLE}, clock=clock)
    twilio = TwilioClient(down)
    # The main menu fails without its database and hands the caller to the fallback.
    moved = twilio.voice("/voice/incoming", "CA-down")
    assert moved.first("Redirect").text == "/voice/fallback"
    first = twilio.voice("/voice/fallback", "CA-down")
    assert "your report will not be lost" in first.text
    assert first.gather.get("finishOnKey") == "#"
    assert first.gather.get("action") == "/voice/fallback/number"
    second = twilio.voice("/voice/fallback/number", "CA-down", Digits="3195550155#")
    assert second.first("Record").get("action") == "/voice/fallback/recorded"
    last = twilio.voice("/voice/fallback/recorded", "CA-down", RecordingUrl=RECORDING)
    assert "Your message is saved" in last.text and last.verbs[-1] == "Hangup"
    saved = json.loads((spool / "CA-down.json").read_text())
    assert (saved["from"], saved["callback"], saved["recording_url"]) == (
        CALLER,
        "3195550155",
        RECORDING,
    )
    down.extensions["db"].engine.dispose()

    # The database is back: the next worker pass opens the incident and pages.
    run_worker(app, clock)
    incident = session.scalars(select(Incident)).one()
    assert incident.recording_url == RECORDING
    assert incident.callback_number == "+13195550155"
    assert incident.caller_number == CALLER
    assert [p.responder.name for p in incident.pages] == ["Pat Lee"]
    # Imported after the pass's sends, its page still leaves in the same run.
    assert [p.status for p in incident.pages] == ["sent"]
    assert not list(spool.glob("*.json"))
    assert (spool / "imported" / "CA-down.json").exists()


def test_a_caller_who_hangs_up_before_recording_is_still_called_back(settings, clock, app, session):
    down = create_app({**settings, "DATABASE_URL": UNREACHABLE}, clock=clock)
    TwilioClient(down).voice("/voice/fallback", "CA-short")
    down.extensions["db"].engine.dispose()
    run_worker(app, clock)
    assert session.scalars(select(Incident)).all() == []  # it may still be recording
    clock.advance(minutes=5)
    run_worker(app, clock)
    incident = session.scalars(select(Incident)).one()
    assert incident.incomplete and incident.callback_number == CALLER


def test_the_fallback_needs_a_signature_too(settings, clock):
    down = create_app({**settings, "DATABASE_URL": UNREACHABLE}, clock=clock)
    assert (
        TwilioClient(down).post("/voice/fallback", {"CallSid": "x"}, signed=False).status_code
        == 403
    )
    down.extensions["db"].engine.dispose()


def test_an_unwritable_spool_puts_the_caller_through_to_the_help_desk(settings, clock, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the spool should be")
    down = create_app(
        {**settings, "DATABASE_URL": UNREACHABLE, "VOICEMAIL_SPOOL_DIR": str(blocked / "spool")},
        clock=clock,
    )
    twilio = TwilioClient(down)
    reply = twilio.voice("/voice/fallback", "CA-full")
    assert "putting you through to the help desk" in reply.text
    dial = reply.first("Dial")
    assert "+13193844357" in ET.tostring(dial, encoding="unicode")
    assert dial.get("action") == "/voice/fallback/helpdesk"
    assert twilio.voice("/voice/fallback/helpdesk", "CA-full").verbs == ["Hangup"]
    down.extensions["db"].engine.dispose()


def test_readyz_reports_a_spool_that_cannot_keep_a_voicemail(settings, clock, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    app = create_app({**settings, "VOICEMAIL_SPOOL_DIR": str(blocked / "spool")}, clock=clock)
    _seed(app, clock)
    run_worker(app, clock)
    ready = app.test_client().get("/readyz").get_json()
    assert ready["status"] == "degraded" and ready["spool"] == "failing"
    auth = {"Authorization": "Bearer metrics-token-for-tests"}
    ready = app.test_client().get("/readyz", headers=auth).get_json()
    assert "cannot create" in ready["spool"]
    app.extensions["db"].engine.dispose()


@pytest.mark.postgres
def test_three_workers_on_one_spool_import_each_voicemail_once(pg_app, clock, tmp_path):
    spool_dir = tmp_path / "spool"
    for n in range(12):
        spool.record(
            spool_dir,
            f"CA-shared-{n}",
            clock.now() - dt.timedelta(minutes=10),
            **{"from": f"+1319555{8000 + n:04d}", "recording_url": RECORDING},
        )
    sessions = pg_app.extensions["db"].sessionmaker
    barrier = threading.Barrier(3)

    def worker() -> int:
        barrier.wait()
        with sessions() as session:
            return spool.import_spooled(session, clock.now(), spool_dir, CallbackPolicy())

    with ThreadPoolExecutor(3) as pool:
        imported = list(pool.map(lambda _: worker(), range(3)))
    assert sum(imported) == 12
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 12
    assert len(list((spool_dir / "imported").glob("*.json"))) == 12
