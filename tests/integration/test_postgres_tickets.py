"""Two real worker processes on PostgreSQL passing the ticket outbox on: every update reaches
the ticketing system exactly once, and each incident's in the order it happened."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from app import create_app
from app.adapters.gateways import ConsoleGateway
from app.clock import FrozenClock
from app.config import PROJECT_ROOT
from app.models import EventKind, TicketUpdate
from tests.servers import free_port
from tests.support import AUTH_TOKEN, TEST_SETTINGS
from tests.ticket_support import SECRET, Receiver, webhook_receiver

pytestmark = pytest.mark.postgres
INCIDENTS, NOTES = 40, 4
API = {"Authorization": "Bearer api-token-1"}


def test_two_workers_pass_each_ticket_update_once_and_in_order(pg_app, postgres_url):
    port = free_port()
    ticketing = {
        "TICKETS_BACKEND": "webhook",
        "TICKETS_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "TICKETS_WEBHOOK_SECRET": SECRET,
    }
    # The workers run on the real clock: the incidents open at its time, so what the workers
    # find due is the same on any day.
    line = create_app(
        {**TEST_SETTINGS, "DATABASE_URL": postgres_url, **ticketing},
        clock=FrozenClock(dt.datetime.now(dt.UTC)),
        gateway=ConsoleGateway(),
    )
    client = line.test_client()
    for n in range(INCIDENTS):
        created = client.post(
            "/api/incidents",
            headers=API,
            json={
                "service_text": f"lab printer {n}",
                "description": "jammed",
                "impact": "one-person",
                "callback_number": "319-555-0170",
            },
        )
        assert created.status_code == 201, created.get_json()
        reference = created.get_json()["incident"]["reference"]
        for note in range(NOTES):
            noted = client.post(
                f"/api/incidents/{reference}/notes", headers=API, json={"text": f"note {note}"}
            )
            assert noted.status_code == 201, noted.get_json()
    line.extensions["db"].engine.dispose()

    env = {
        **os.environ,
        **ticketing,
        "DATABASE_URL": postgres_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--once", "--batch", "1000"]
    with webhook_receiver(port, Receiver()) as receiver:
        workers = [
            subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for worker in workers:
            _, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err

    with pg_app.extensions["db"].sessionmaker() as session:
        updates = session.scalars(select(TicketUpdate).order_by(TicketUpdate.id)).all()
        assert len(updates) == INCIDENTS * (1 + NOTES)
        assert all(u.sent_at for u in updates)
        opened = {u.id: u.incident.reference for u in updates if u.kind == EventKind.OPENED}
    deliveries = Counter(event["delivery"] for event in receiver.events)
    assert len(deliveries) == len(updates), "every update arrived"
    assert max(deliveries.values()) == 1, "none arrived twice"
    arrived: dict[str, list[int]] = defaultdict(list)
    notes: dict[str, list[str]] = defaultdict(list)
    for event in receiver.events:
        reference = event["reference"]
        if event["event"] == "opened":
            assert not arrived[reference], "the opening comes first"
            arrived[reference].append(next(i for i, r in opened.items() if r == reference))
            continue
        arrived[reference].append(int(event["delivery"]))
        if event["event"] == "note":
            notes[reference].append(event["text"].rsplit("\n", 1)[-1])
    assert len(arrived) == INCIDENTS
    for reference, ids in arrived.items():
        assert ids == sorted(ids), f"{reference} arrived out of order"
        assert notes[reference] == [f"note {n}" for n in range(NOTES)]
