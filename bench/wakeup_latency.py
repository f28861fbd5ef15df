"""From a page queued due now (an incident opening, a failover) to the gateway call, on
PostgreSQL: the worker LISTENing for the NOTIFY its transaction sends, against the same worker
only polling every WORKER_POLL_SECONDS. Side by side in one run.

    .venv/bin/python bench/wakeup_latency.py [--pages 40] [--poll 1.0] [--url postgresql://...]

The database named by --url (default: afterhours_bench_wakeup, created when missing) is emptied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import sessionmaker

from app import create_app
from app.context import runtime
from app.db import make_engine
from app.models import Incident, NotificationChannel, NotificationKind
from app.paging import notify
from bench.page_latency import TimingGateway, seed
from bench.pg import SERVER, fresh_database


def run(url: str, listen: bool, pages: int, poll: float) -> list[float]:
    fresh_database(url)
    _, incident_id = seed(url, 10)
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    gateway = TimingGateway()
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}, gateway=gateway)
    worker = runtime(app).worker(sessions)
    worker.listen = listen
    runner = threading.Thread(target=worker.serve, args=(poll,), daemon=True)
    runner.start()
    time.sleep(1.5)  # the first pass done: the worker is waiting
    queued: dict[str, float] = {}
    for n in range(pages):
        body = f"wake-{n}"
        with sessions.begin() as session:
            incident = session.get(Incident, incident_id)
            notify.queue(
                session,
                dt.datetime.now(dt.UTC),
                kind=NotificationKind.PAGE,
                channel=NotificationChannel.SMS,
                to="+13195550101",
                body=body,
                incident=incident,
            )
        queued[body] = time.time()
        time.sleep(0.37)
    deadline = time.time() + poll + 5
    while len(gateway.calls) < pages and time.time() < deadline:
        time.sleep(0.05)
    worker.stopping.set()
    runner.join(timeout=poll + 5)
    engine.dispose()
    app.extensions["db"].engine.dispose()
    return sorted(gateway.calls[b] - t for b, t in queued.items() if b in gateway.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=f"{SERVER}/afterhours_bench_wakeup")
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--poll", type=float, default=1.0)
    args = parser.parse_args()
    results = {
        mode: run(args.url, mode == "listen", args.pages, args.poll) for mode in ("poll", "listen")
    }
    print(f"\n{'worker':>8} {'p50':>8} {'p95':>8} {'max':>8}   (queued due now; poll {args.poll}s)")
    for mode, delays in results.items():
        p95 = delays[max(int(len(delays) * 0.95) - 1, 0)]
        print(
            f"{mode:>8} {statistics.median(delays) * 1000:>5.0f} ms {p95 * 1000:>5.0f} ms "
            f"{delays[-1] * 1000:>5.0f} ms   ({len(delays)} of {args.pages} sent)"
        )
    ratio = statistics.median(results["poll"]) / statistics.median(results["listen"])
    print(f"median due->gateway, polling / listening: {ratio:.0f}x")


if __name__ == "__main__":
    main()
