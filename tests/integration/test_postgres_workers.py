"""Two real worker processes on PostgreSQL: every due page is sent exactly once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from app.adapters.gateways import ConsoleGateway
from app.clock import FrozenClock
from app.config import PROJECT_ROOT
from app.context import runtime
from app.models import (
    CallerBroadcast,
    Incident,
    IncidentState,
    Notification,
    OutboxStatus,
    WorkerHeartbeat,
)
from app.outbox import sending
from app.outbox.policy import CALLERS_NEWS, DEFAULT_POLICIES
from app.paging import broadcasts, delivery, wakeup
from tests.paging_support import PAT, open_lab_outages, queue_receipts, report_outage
from tests.support import AUTH_TOKEN, TwilioClient

pytestmark = pytest.mark.postgres
PAGES = 1000
NEWS_POLICY, LEASE = DEFAULT_POLICIES[CALLERS_NEWS], delivery.CLAIM_LEASE


def test_two_workers_send_each_of_1000_due_pages_exactly_once(pg_app, postgres_url):
    report_outage(TwilioClient(pg_app))
    sessions = pg_app.extensions["db"].sessionmaker
    with sessions.begin() as session:
        template = session.scalars(select(Notification).where(Notification.kind == "page")).one()
        due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        session.add_all(
            Notification(
                kind="page",
                channel="sms",
                incident_id=template.incident_id,
                responder_id=template.responder_id,
                to_number=template.to_number,
                body=f"drill page #{n}",
                due_at=due,
                created_at=due,
            )
            for n in range(PAGES)
        )
        template.status = OutboxStatus.CANCELLED  # only the drill pages count
        session.execute(
            Notification.__table__.update()
            .where(Notification.kind == "caller")
            .values(status=OutboxStatus.CANCELLED)
        )

    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "SMS_BACKEND": "console",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--once", "--batch", "7"]
    workers = [
        subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err

    sent = [re.findall(r"drill page #(\d+)", out) for out, _ in outputs]
    counts = Counter(n for per_worker in sent for n in per_worker)
    assert len(counts) == PAGES, "every page was sent"
    assert max(counts.values()) == 1, "no page was sent twice"
    print(f"worker 1 sent {len(sent[0])}, worker 2 sent {len(sent[1])}")

    with sessions() as session:
        statuses = Counter(
            session.scalars(
                select(Notification.status).where(Notification.body.like("drill page #%"))
            )
        )
        assert statuses == {OutboxStatus.SENT: PAGES}
        sids = session.scalar(
            select(func.count(func.distinct(Notification.provider_sid))).where(
                Notification.body.like("drill page #%")
            )
        )
        assert sids == PAGES


def _listening_after_a_pass(sessions) -> bool:  # type: ignore[no-untyped-def]
    """The worker has written its heartbeat and both of its waits LISTEN on the database."""
    with sessions() as session:
        if not session.scalar(select(func.count()).select_from(WorkerHeartbeat)):
            return False
        listening = session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'idle' AND query IN (:due, :page)"
            ),
            {"due": f"LISTEN {wakeup.CHANNEL}", "page": f"LISTEN {wakeup.PAGE_CHANNEL}"},
        )
        return listening == 2


def test_a_waiting_worker_is_woken_when_a_page_falls_due(pg_app, postgres_url):
    """The worker polls only every 60 s here, yet the page a new incident makes is sent within
    seconds: the opening transaction NOTIFYs, and the idle worker LISTENs."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "SMS_BACKEND": "console",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "WORKER_POLL_SECONDS": "60",
        "LOG_LEVEL": "INFO",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sessions = pg_app.extensions["db"].sessionmaker
    try:
        deadline = time.monotonic() + 30
        while not _listening_after_a_pass(sessions):  # its first pass done, it is waiting now
            assert time.monotonic() < deadline, "the worker never began to wait"
            time.sleep(0.2)
        report_outage(TwilioClient(pg_app))
        sent_after = None
        started = time.monotonic()
        while time.monotonic() - started < 20:
            with sessions() as session:
                page = session.scalars(select(Notification).where(Notification.kind == "page"))
                if [p for p in page if p.status == OutboxStatus.SENT]:
                    sent_after = time.monotonic() - started
                    break
            time.sleep(0.1)
        assert sent_after is not None, "the page waited for the 60-second poll"
        print(f"page sent {sent_after:.2f} s after the incident opened (poll interval 60 s)")
    finally:
        worker.terminate()
        asked_to_stop = time.monotonic()
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
            raise AssertionError(f"the worker did not stop on SIGTERM:\n{output}") from None
    assert "woken by the database when a page is due" in output
    # Waiting on the database never holds up a stop (a deploy, systemctl stop).
    assert time.monotonic() - asked_to_stop < 10


def test_a_page_leaves_while_a_slow_gateway_holds_the_receipts(pg_app, clock):
    """The main loop is stuck inside a caller's receipt at a gateway that takes its time; the
    page of an incident opened meanwhile goes out at once on the pages' own lane (woken by the
    opening transaction's NOTIFY), without waiting for that send to end."""
    page_sent, receipt_started = threading.Event(), threading.Event()
    order: list[str] = []

    class SlowForReceipts(ConsoleGateway):
        def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
            if to == PAT:
                order.append("page")
                page_sent.set()
            else:
                receipt_started.set()
                # Held until the page is out (or for 10 s, when nothing else sends it).
                page_sent.wait(10)
                order.append("receipt")
            return super().send_sms(to, body, status_callback)

    queue_receipts(pg_app, clock.now(), 3)
    worker = runtime(pg_app).worker(pg_app.extensions["db"].sessionmaker)
    worker.gateway = SlowForReceipts()
    serving = threading.Thread(target=worker.serve, args=(60,))
    serving.start()
    try:
        assert receipt_started.wait(10), "the worker never began the receipts"
        report_outage(TwilioClient(pg_app))
        assert page_sent.wait(5), "the page waited behind the receipt"
        assert order[0] == "page", order
    finally:
        worker.stopping.set()
        serving.join(30)
    assert not serving.is_alive()
    with pg_app.extensions["db"].sessionmaker() as session:
        pages = session.scalars(select(Notification).where(Notification.kind == "page")).all()
        assert [p.status for p in pages] == [OutboxStatus.SENT]  # once, by one lane
        assert len([p for p in pages if p.provider_sid]) == 1


def test_two_workers_tell_each_piece_of_callers_news_once(pg_app):
    """Thirty acknowledged outages, each with its news for the callers waiting; two workers tell
    them at the same moment: every caller hears it once."""
    open_lab_outages(pg_app, 30)
    now = dt.datetime.now(dt.UTC)
    sessions = pg_app.extensions["db"].sessionmaker
    with pg_app.app_context(), sessions.begin() as session:
        for incident in list(session.scalars(select(Incident))):
            incident.state = IncidentState.ACKNOWLEDGED
            broadcasts.queue(session, now, incident, broadcasts.News.TAKEN)
    barrier = threading.Barrier(2)
    told: list[int] = []

    def worker() -> None:
        with pg_app.app_context(), sessions() as session:
            barrier.wait()
            # Small batches, so the two workers' claims interleave.
            while batch := sending.send_due(
                session, FrozenClock(now), broadcasts.KIND, NEWS_POLICY, 5, LEASE
            ):
                told.append(batch)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(told) == 30
    with sessions() as session:
        texted = Counter(
            session.scalars(
                select(Notification.to_number).where(
                    Notification.kind == "caller", Notification.body.contains("being worked on")
                )
            )
        )
        assert texted == Counter({f"+1319555{7000 + n:04d}": 1 for n in range(30)})
        waiting = select(func.count(CallerBroadcast.id)).where(CallerBroadcast.sent_at.is_(None))
        assert session.scalar(waiting) == 0
