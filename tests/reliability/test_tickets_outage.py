"""A real worker process while the ticketing system hangs (it takes the connection and never
answers): pages go out at once, and the ticket follows once the ticketing system is back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app import create_app
from app.config import PROJECT_ROOT
from app.models import EventKind, Notification, NotificationKind, OutboxStatus, TicketUpdate
from tests.paging_support import report_outage
from tests.servers import free_port
from tests.support import AUTH_TOKEN
from tests.ticket_support import SECRET, Receiver, webhook_receiver


def _wait_for(check, seconds: float = 20) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def hanging() -> Iterator[socket.socket]:
    """A ticketing system that takes connections into its backlog and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener
    listener.close()


@pytest.fixture
def settings(settings: dict[str, object], hanging: socket.socket) -> dict[str, object]:
    return {
        **settings,
        "TICKETS_BACKEND": "webhook",
        "TICKETS_WEBHOOK_URL": f"http://127.0.0.1:{hanging.getsockname()[1]}/hook",
        "TICKETS_WEBHOOK_SECRET": SECRET,
        # Longer than the test: the hang ends when the test closes the hanging system.
        "TICKETS_TIMEOUT_SECONDS": 120,
    }


def test_a_hanging_ticketing_system_never_holds_up_a_page(app, twilio, settings, session, hanging):
    answering = free_port()
    report_outage(twilio)
    env = {
        **os.environ,
        **{name: str(value) for name, value in settings.items() if name.startswith("TICKETS_")},
        "DATABASE_URL": str(settings["DATABASE_URL"]),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "WORKER_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def pages_sent() -> int:
            session.expire_all()
            pages = session.scalars(
                select(Notification).where(Notification.kind == NotificationKind.PAGE)
            ).all()
            return sum(p.status != OutboxStatus.QUEUED for p in pages)

        assert _wait_for(lambda: pages_sent() >= 1), "the first page went out"
        opening = session.scalars(select(TicketUpdate).order_by(TicketUpdate.id)).first()
        assert opening is not None and opening.kind == EventKind.OPENED
        # The first ticket's opening is out at the hanging system: claimed, its try in flight.
        assert _wait_for(lambda: _refreshed(session, opening).status == "sending")
        # A second incident while the ticket thread hangs on the first one's opening.
        client = app.test_client()
        second = client.post(
            "/api/incidents",
            headers={"Authorization": "Bearer api-token-1"},
            json={
                "service": "exchange",
                "description": "mail queue stuck",
                "impact": "degraded",
                "callback_number": "319-555-0170",
            },
        )
        assert second.status_code == 201
        assert _wait_for(lambda: pages_sent() >= 2), "the second page went out"
        # ... and the opening's first try is still in flight.
        assert (_refreshed(session, opening).status, opening.attempts) == ("sending", 1)

        # The hanging system goes away: the try in flight fails at once and is retried later;
        # the worker stops without waiting out any timeout.
        hanging.close()
        assert _wait_for(lambda: _refreshed(session, opening).status == "queued")
        assert opening.attempts == 1 and "unreachable" in opening.last_error
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    with webhook_receiver(answering, Receiver()) as receiver:
        env["TICKETS_WEBHOOK_URL"] = f"http://127.0.0.1:{answering}/hook"
        session.execute(TicketUpdate.__table__.update().values(due_at=opening.created_at))
        session.commit()
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--once"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    # The opening first, then whatever the worker's real clock escalated meanwhile; each once.
    assert receiver.kinds()[0] == "opened"
    assert len({e["delivery"] for e in receiver.events}) == len(receiver.events)


def _refreshed(session, row):  # type: ignore[no-untyped-def]
    session.refresh(row)
    return row


def test_a_ticketing_system_that_never_answers_is_named_with_the_time_it_was_given(
    settings, clock, gateway
):
    impatient = create_app({**settings, "TICKETS_TIMEOUT_SECONDS": 1}, clock=clock, gateway=gateway)
    answer = impatient.test_cli_runner().invoke(args=["tickets", "check"])
    assert answer.exit_code == 1
    assert "did not answer within 1 s" in answer.output
