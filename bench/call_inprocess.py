"""How long one full scripted call takes in-process (Flask test client, SQLite file or PostgreSQL).

Measures the line's own cost per call — every webhook signed, checked, answered and stored —
with no network and no other caller in between, so it is the steadiest figure to compare two
versions of the code by. Run: `.venv/bin/python bench/call_inprocess.py [--calls N]
[--database postgres [--wire]] [--tickets] [--pause S]` (`--tickets`: with a ticketing system
configured, so every timeline entry also queues a ticket update; nothing is sent, as no worker
runs; `--wire`: statements and round trips counted on the wire as well as at the engine;
`--pause`: seconds between a caller's webhooks, as at people's pace).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from flask import Flask, request, request_finished, request_started

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.clock import SystemClock
from app.incidents.catalog import parse_catalog, upsert_services
from app.paging.roster import load_roster, parse_roster
from bench.pg import prepare
from bench.wire import Counts, WireCounter
from tests.support import (
    DEMO_CATALOG,
    FULL_CANVAS_CALL,
    TEST_ROSTER,
    TEST_SETTINGS,
    TwilioClient,
    statements_on,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", action="store_true", help="queue ticket updates too")
    parser.add_argument("--database-url", help="a database of your own to use (emptied first)")
    parser.add_argument(
        "--opening",
        action="store_true",
        help="every caller reports a different problem: each call opens an incident and pages",
    )
    parser.add_argument(
        "--wire", action="store_true", help="PostgreSQL: count on the wire too (bench/wire.py)"
    )
    parser.add_argument(
        "--pause", type=float, default=0.0, help="seconds between a caller's webhooks"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-call-"))
    url = prepare(args.database, workdir, args.database_url)
    wire = WireCounter() if args.wire and url.startswith("postgresql") else None
    if wire is not None:
        url = wire.start(url)
    tickets = {
        "TICKETS_BACKEND": "webhook",
        "TICKETS_WEBHOOK_URL": "http://127.0.0.1:9/unused",
        "TICKETS_WEBHOOK_SECRET": "bench",
    }
    app = create_app(
        {
            **TEST_SETTINGS,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            **(tickets if args.tickets else {}),
        }
    )
    with app.app_context(), app.extensions["db"].begin() as session:
        # With a roster, each call's last webhook also writes the first page (as in production);
        # it comes first because the catalog names the services' administrators.
        load_roster(session, SystemClock().now(), parse_roster(TEST_ROSTER), "America/Chicago")
        upsert_services(session, parse_catalog(DEMO_CATALOG).services)
    twilio = TwilioClient(app)
    twilio.call(*FULL_CANVAS_CALL, call_sid="CA-warmup")
    # The outage is known now: each further caller hears so and joins it (press 1), as in a storm;
    # with --opening each says it is a different problem (press 2), from a number of their own.
    known = "press 2" if args.opening else "press 1"
    script = (*FULL_CANVAS_CALL[:2], known, *FULL_CANVAS_CALL[2:])

    counted = StatementCounter(app, wire, args.pause)
    durations, requests = [], 0
    cpu = time.process_time()
    for number in range(args.calls):
        started = time.perf_counter()
        # A number of each caller's own: the same number again would be a returning caller.
        caller = f"+1319555{2000 + number:04d}"
        transcript = twilio.call(*script, caller=caller, call_sid=f"CA-bench-{number}")
        durations.append(time.perf_counter() - started)
        requests += len(transcript.requests)
    cpu = time.process_time() - cpu
    durations.sort()
    per_request = sum(durations) / requests
    print(
        f"{args.calls} full calls, {requests // args.calls} webhooks each ({args.database}, "
        f"in-process{', ticket outbox on' if args.tickets else ''}"
        f"{', each opening an incident' if args.opening else ''})"
    )
    print(
        f"  per call: median {statistics.median(durations) * 1000:.1f} ms, "
        f"p95 {durations[int(len(durations) * 0.95) - 1] * 1000:.1f} ms"
    )
    print(
        f"  per webhook: mean {per_request * 1000:.2f} ms, of which CPU in this process "
        f"{cpu / requests * 1000:.2f} ms"
    )
    counted.report(args.calls)
    app.extensions["db"].engine.dispose()
    shutil.rmtree(workdir)


class StatementCounter:
    """SQL statements and database round trips (statements, and on PostgreSQL the BEGIN and
    COMMIT the connection sends) per webhook, seen at the engine while the calls run, and each
    webhook's time in the app."""

    def __init__(self, app: Flask, wire: WireCounter | None = None, pause: float = 0.0) -> None:
        self._counting = statements_on(app.extensions["db"].engine)
        self.seen = self._counting.__enter__()
        self.starts: list[tuple[str, int]] = []  # (webhook, where its statements begin)
        self.took: Counter[str] = Counter()
        self._since = 0.0
        self.wire, self.pause = wire, pause
        self.on_wire: dict[str, Counts] = {}
        self._wire_since = Counts()
        request_started.connect(self._started, app)
        request_finished.connect(self._finished, app)

    def _started(self, _sender: object, **_extra: object) -> None:
        # /voice/step/<step>/<turn>: one bucket per step, whatever the turn.
        parts = request.path.split("/")
        path = "/".join(parts[:4]) if parts[1:3] == ["voice", "step"] else request.path
        if self.pause:
            # The caller speaks: the pooled connection sits idle meanwhile, as between turns.
            time.sleep(self.pause)
        self.starts.append((path, len(self.seen)))
        self._since = time.perf_counter()
        if self.wire is not None:
            self._wire_since = self.wire.snapshot()

    def _finished(self, _sender: object, **_extra: object) -> None:
        path = self.starts[-1][0]
        self.took[path] += time.perf_counter() - self._since
        if self.wire is not None:
            # The client waits on each ReadyForQuery, which the proxy counts before passing on.
            sent = self.wire.snapshot() - self._wire_since
            before = self.on_wire.get(path, Counts())
            self.on_wire[path] = Counts(
                before.statements + sent.statements, before.round_trips + sent.round_trips
            )

    def report(self, calls: int) -> None:
        self._counting.__exit__(None, None, None)
        statements: Counter[str] = Counter()
        trips: Counter[str] = Counter()
        requests: Counter[str] = Counter()
        ends = [start for _, start in self.starts[1:]] + [len(self.seen)]
        for (path, start), end in zip(self.starts, ends, strict=True):
            sent = self.seen[start:end]
            requests[path] += 1
            trips[path] += len(sent)
            statements[path] += sum(1 for s in sent if s not in ("BEGIN", "COMMIT", "ROLLBACK"))
        total, total_trips = sum(statements.values()), sum(trips.values())
        print(f"  per call: {total / calls:.1f} statements, {total_trips / calls:.1f} round trips")
        if self.wire is not None:
            wired = self.on_wire.values()
            print(
                f"  per call on the wire: {sum(c.statements for c in wired) / calls:.1f} "
                f"statements, {sum(c.round_trips for c in wired) / calls:.1f} round trips"
            )
        for path in sorted(statements, key=lambda p: -statements[p]):
            wired = self.on_wire.get(path)
            on_wire = (
                f" (wire {wired.statements / requests[path]:4.1f}, "
                f"{wired.round_trips / requests[path]:4.1f})"
                if wired
                else ""
            )
            print(
                f"    {path:32} {statements[path] / requests[path]:5.1f} statements, "
                f"{trips[path] / requests[path]:5.1f} round trips{on_wire}, "
                f"{self.took[path] / requests[path] * 1000:5.2f} ms per request"
            )


if __name__ == "__main__":
    main()
