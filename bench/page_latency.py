"""From a page falling due to the gateway call, with many open incidents in PostgreSQL.

A real worker (the loop `flask --app app worker` runs: LISTENing, and waiting no longer than until
the next page falls due or --poll) runs in a thread against PostgreSQL holding OPEN open
incidents; pages are queued at once, due at known instants later, and the gateway records when
it is called. Also times one worker pass with 100 due.

    .venv/bin/python bench/page_latency.py --open 10000 [--url postgresql://...]

The database named by --url (default: afterhours_bench, created when missing) is emptied first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.orm import sessionmaker

from app import create_app
from app.context import runtime
from app.db import make_engine
from app.models import Incident, Notification, Responder
from bench.pg import BENCH_URL, fresh_database


class TimingGateway:
    def __init__(self) -> None:
        self.calls: dict[str, float] = {}

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        self.calls[body] = time.time()
        return f"SM{uuid.uuid4().hex}"

    def place_call(self, to: str, url: str, status_callback: str | None) -> str:
        raise NotImplementedError


def seed(url: str, open_incidents: int) -> tuple[int, int]:
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        responder_id = connection.execute(
            insert(Responder).returning(Responder.id),
            {
                "name": "Pat Lee",
                "phone": "+13195550101",
                "role": "admin",
                "email": "",
                "verified_at": now,
                "sms_opted_out": False,
                "active": True,
                "created_at": now,
            },
        ).scalar_one()
        rows = [
            {
                "state": "open",
                "source": "phone",
                "service_text": f"service {n}",
                "description": "bench",
                "started_text": "",
                "impact": "everyone",
                "impact_label": "down for everyone",
                "priority": 2,
                "incomplete": False,
                "created_at": now,
                "updated_at": now,
                "resolution_note": "",
                "escalated": False,
                "escalation_step": 1,
                "escalation_cycle": 0,
                "next_escalation_at": now + dt.timedelta(days=1),
            }
            for n in range(open_incidents)
        ]
        connection.execute(insert(Incident), rows)
        # Every open incident already has its first page sent, as in real life.
        connection.execute(
            text(
                "INSERT INTO notifications (kind, channel, status, incident_id, responder_id, "
                "to_number, body, due_at, attempts, provider_status, last_error, created_at, "
                "sent_at) "
                "SELECT 'page', 'sms', 'sent', id, :r, '+13195550101', 'old', created_at, 1, "
                "'delivered', '', created_at, created_at FROM incidents"
            ),
            {"r": responder_id},
        )
        first = connection.execute(text("SELECT min(id) FROM incidents")).scalar_one()
    engine.dispose()
    return responder_id, first


def queue_pages(url: str, responder_id: int, incident_id: int, due: list[dt.datetime]) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(Notification),
            [
                {
                    "kind": "page",
                    "channel": "sms",
                    "status": "queued",
                    "incident_id": incident_id,
                    "responder_id": responder_id,
                    "to_number": "+13195550101",
                    "body": f"bench-{n}",
                    "due_at": at,
                    "attempts": 0,
                    "provider_status": "",
                    "last_error": "",
                    "created_at": dt.datetime.now(dt.UTC),
                }
                for n, at in enumerate(due)
            ],
        )
    engine.dispose()


def measure(url: str, open_incidents: int, pages: int, poll: float) -> tuple[float, list[float]]:
    """(ms for one pass with 100 due, due-to-gateway delays in seconds) at this scale."""
    fresh_database(url)
    started = time.perf_counter()
    responder_id, incident_id = seed(url, open_incidents)
    print(f"seeded {open_incidents} open incidents in {time.perf_counter() - started:.1f}s")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    sessions = sessionmaker(engine, expire_on_commit=False)
    gateway = TimingGateway()
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}, gateway=gateway)
    worker = runtime(app).worker(sessions)

    # One pass with 100 pages due at once.
    queue_pages(url, responder_id, incident_id, [dt.datetime.now(dt.UTC)] * 100)
    began = time.perf_counter()
    worker.run_once()
    pass_ms = (time.perf_counter() - began) * 1000

    # Pages falling due one at a time while the worker polls.
    gateway.calls.clear()
    # The worker's own loop (run_forever adds only the signal handlers, for the main thread).
    runner = threading.Thread(target=worker.serve, args=(poll,), daemon=True)
    runner.start()
    base = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    due = [base + dt.timedelta(seconds=0.37 * n) for n in range(pages)]
    queue_pages(url, responder_id, incident_id, due)
    deadline = time.time() + 0.37 * pages + 15
    while len(gateway.calls) < pages and time.time() < deadline:
        time.sleep(0.1)
    worker.stopping.set()
    runner.join(timeout=10)
    engine.dispose()
    app.extensions["db"].engine.dispose()
    delays = sorted(
        gateway.calls[f"bench-{n}"] - at.timestamp()
        for n, at in enumerate(due)
        if f"bench-{n}" in gateway.calls
    )
    return pass_ms, delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=BENCH_URL)
    parser.add_argument(
        "--open",
        type=int,
        nargs="+",
        default=[100, 10_000, 100_000],
        help="open incidents in the database, one run each",
    )
    parser.add_argument("--pages", type=int, default=60, help="pages made due one by one")
    parser.add_argument("--poll", type=float, default=1.0)
    args = parser.parse_args()

    results = {scale: measure(args.url, scale, args.pages, args.poll) for scale in args.open}
    smallest = results[min(results)][0]
    print(
        f"\n{'open':>8} {'pass, 100 due':>14} {'vs smallest':>12} {'due->gateway p50':>17} "
        f"{'p95':>6} {'max':>6}   (poll {args.poll}s, {args.pages} pages)"
    )
    for scale, (pass_ms, delays) in results.items():
        p95 = delays[max(int(len(delays) * 0.95) - 1, 0)]
        print(
            f"{scale:>8} {pass_ms:>11.0f} ms {pass_ms / smallest:>11.2f}x "
            f"{statistics.median(delays) * 1000:>14.0f} ms {p95 * 1000:>4.0f} ms "
            f"{delays[-1] * 1000:>4.0f} ms"
        )


if __name__ == "__main__":
    main()
