"""Against a real Request Tracker 5: a call becomes a ticket that follows the incident, RT's
scrip (deploy/rt/afterhours-scrip.pl) brings a resolution made in RT back to the line, RT down
for an incident's whole life loses nothing, and `tickets check` says what is wrong."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.adapters.gateways import ConsoleGateway
from app.clock import FrozenClock
from app.models import IncidentState
from tests.conftest import _seed
from tests.paging_support import PAT, report_outage, run_worker, text, the_incident
from tests.rt_support import RequestTracker, pristine_database, serving
from tests.servers import free_port
from tests.ticket_support import send_tickets, whole_life

pytestmark = pytest.mark.rt
SECRET = "rt-scrip-secret-0123456789"
LIFE = [
    "Note by (319) 555-0142",  # the caller's e-mail address, texted in
    "Acknowledged by Pat Lee",
    "Resolved by Pat Lee",
    "The caller confirmed",
    "Closed by Pat Lee",
    "Work summary from Pat Lee: 2h30 worked.",
]


@pytest.fixture
def line_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def rt_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pristine_database(tmp_path_factory.mktemp("rt-pristine"))


@pytest.fixture
def rt(rt_database: Path, line_port: int) -> Iterator[RequestTracker]:
    # RT writes its SQLite database with a sync on every commit: in memory-backed /dev/shm,
    # where there is one, a ticket update takes a fraction of the time it takes on disk.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as home:
        tracker = RequestTracker(Path(home), rt_database, f"http://127.0.0.1:{line_port}", SECRET)
        yield tracker
        tracker.stop()


@pytest.fixture
def app(settings: dict[str, object], clock: FrozenClock, rt: RequestTracker) -> Iterator[Flask]:
    application = create_app(
        {
            **settings,
            "TICKETS_BACKEND": "rt",
            "RT_URL": rt.url,
            "RT_USER": "root",
            "RT_PASSWORD": "password",
            "RT_QUEUE": "General",
            "TICKETS_INBOUND_SECRET": SECRET,
        },
        clock=clock,
        gateway=ConsoleGateway(),
    )
    _seed(application, clock)
    yield application
    application.extensions["db"].engine.dispose()


def real_time(clock: FrozenClock) -> None:
    """The scrip stamps its news with RT's clock, the machine's: the line's clock moves on to
    it, so the news is fresh (every row due before stays due)."""
    now = dt.datetime.now(dt.UTC)
    assert now > clock.now()
    clock.set(now)


def _read_back(rt: RequestTracker, ticket_id: str) -> None:
    ticket = rt.ticket(ticket_id)
    assert ticket["Subject"].startswith("[AH-1001] Canvas: P")
    assert ticket["Status"] == "resolved"
    assert ticket["TimeWorked"] == "150"
    assert [r["id"] for r in ticket["Requestor"]] == ["ana.diaz@example.edu"]
    opening, *rest = rt.texts(ticket_id)
    assert "What is wrong: " in opening and "Call back on: (319) 555-0142" in opening
    assert "E-mail: ana.diaz@example.edu" in opening
    # RT's own mail to the requestor is on the ticket too; the line's comments are these, each
    # once and in the order they happened.
    ours = [next((s for s in LIFE if text.startswith(s)), None) for text in rest]
    assert [s for s in ours if s] == LIFE


def test_a_call_becomes_an_rt_ticket_that_follows_the_incident(
    app, clock, twilio, session, rt, line_port
):
    rt.start()
    whole_life(app, clock, twilio, caller_email="ana.diaz@example.edu")
    real_time(clock)
    with serving(app, line_port):
        assert send_tickets(app) == 8  # with the caller's address given and confirmed
    incident = the_incident(session)
    assert incident.ticket_url == f"{rt.url}/Ticket/Display.html?id={incident.ticket_id}"
    _read_back(rt, incident.ticket_id)
    # The line's own "resolved" came back through the scrip (by then it was closed): no change.
    log = rt.logged(f"after-hours line, ticket {incident.ticket_id}: 200 OK")
    assert '{"result":"AH-1001 is already closed"}' in log


def test_resolved_in_rt_the_incident_follows(app, clock, twilio, session, rt, line_port):
    rt.start()
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    real_time(clock)
    with serving(app, line_port):
        assert send_tickets(app) == 2
        ticket_id = the_incident(session).ticket_id
        rt.rest("PUT", f"ticket/{ticket_id}", json={"Status": "resolved"})
        incident = the_incident(session)
        assert incident.state == IncidentState.RESOLVED
        assert incident.resolution_note == "resolved in the ticketing system by root@localhost"
        # The line's own record of it reaches the ticket as a comment.
        assert send_tickets(app) == 1
    assert any(t.startswith("Resolved by Pat Lee (tickets)") for t in rt.texts(ticket_id))


def test_rt_down_for_a_whole_life_then_back_every_event_once_in_order(
    app, clock, twilio, session, rt, line_port
):
    whole_life(app, clock, twilio, caller_email="ana.diaz@example.edu")
    for _ in range(3):
        assert send_tickets(app) == 1  # the opening, tried and waiting
        clock.advance(hours=1)
    assert the_incident(session).ticket_waiting[0].last_error.startswith("RT unreachable at")
    rt.start()
    with serving(app, line_port):
        assert send_tickets(app) == 8
        assert send_tickets(app) == 0
    _read_back(rt, the_incident(session).ticket_id)
    assert rt.rest("GET", "tickets", params={"query": "Queue = 'General'"})["total"] == 1


def test_tickets_check_against_rt(app, runner, rt):
    rt.start()
    ok = runner.invoke(args=["tickets", "check"])
    assert ok.output == f"ok  RT at {rt.url} took user 'root'; queue 'General' is id 1\n"
    services = app.extensions["afterhours"]
    services.tickets.queue = "Night shift"
    missing = runner.invoke(args=["tickets", "check"])
    assert missing.output == "Error: rt: RT has no queue 'Night shift' that this account can see\n"
    services.tickets.queue = "General"
    services.tickets._http.auth = ("root", "wrong")
    refused = runner.invoke(args=["tickets", "check"])
    assert refused.output == "Error: rt: RT refused the credentials (401: Unauthorized)\n"
