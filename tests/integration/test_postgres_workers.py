"""Two real worker processes on PostgreSQL: every due page is sent exactly once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.models import Notification, NotificationStatus
from tests.paging_support import report_outage
from tests.support import AUTH_TOKEN, TwilioClient

pytestmark = pytest.mark.postgres
PAGES = 1000


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
        template.status = NotificationStatus.CANCELLED  # only the drill pages count
        session.execute(
            Notification.__table__.update()
            .where(Notification.kind == "caller")
            .values(status=NotificationStatus.CANCELLED)
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
        assert statuses == {NotificationStatus.SENT: PAGES}
        sids = session.scalar(
            select(func.count(func.distinct(Notification.provider_sid))).where(
                Notification.body.like("drill page #%")
            )
        )
        assert sids == PAGES
