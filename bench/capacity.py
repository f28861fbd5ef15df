"""People-paced capacity: how many callers at once the line holds.

N concurrent callers each play the whole voice menu over HTTP against gunicorn (deployed
settings), pausing 3-8 s before every answer as people do, while the worker sends the texts
and pages. N is raised step by step until the p99 of the webhooks passes 1 s, any webhook takes
over 5 s, or any call fails; the largest N held is the line's capacity. The callers run in
several driver processes, each reporting its own CPU: a step where any driver used more than
60 % of a core measured the driver, not the line, and is marked so.

    .venv/bin/python bench/capacity.py [--database postgres] [--database-url URL]
        [--steps 100,200,400,700,1000,1300] [--drivers 4] [--arrive-over SECONDS]

`--arrive-over 300 --steps 3000`: a campus-wide outage, 3,000 callers dialling in over five
minutes (each at a random moment in them) rather than all within the first answer's pause; the
texts the worker sent meanwhile (receipts, pages) are timed from due to the gateway.
`--gateway twilio-like`: the worker sends to a gateway that answers like Twilio's API, each
message after 0.15-0.6 s (`--gateway-latency`), reached through the official client over TLS
(bench/twilio_like.py), rather than to the console, which answers at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import runpy
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.simulator import Answer, Ask, CallSimulator, scripted  # noqa: E402
from bench.call_storm import (  # noqa: E402
    DRIVER_LIMIT,
    SCRIPT,
    TOKEN,
    DatabaseCpu,
    Seen,
    Server,
    Tally,
    call_failed,
    cpu_seconds,
    line_environment,
    percentile,
    queue_figures,
    start_worker,
    transport,
)
from bench.twilio_like import TwilioLike  # noqa: E402

# A webhook slower than this at p99 is more than a caller should wait for the next question.
P99_LIMIT = 1.0
# Twilio gives up on a webhook after 15 s; no caller should wait a third of that.
MAX_LIMIT = 5.0


def drive(
    base: str, callers: int, seed: int, pause: tuple[float, float], arrive_over: float
) -> Seen:
    """One driver process: `callers` threads, each one paced call."""
    rng = random.Random(seed)
    tally = Tally([], "")

    def one(n: int, delay: float, pauses: list[float]) -> None:
        post = transport(tally, requests.Session(), timeout=30)
        script = scripted(SCRIPT)
        thinking = iter(pauses)

        def person(ask: Ask) -> Answer:
            time.sleep(next(thinking, pause[0]))
            return script(ask)

        time.sleep(delay)  # people do not all dial in the same second
        # A real (SMS-capable) number of its own, so every caller is texted a receipt.
        caller = f"+13195{seed % 100:02d}{n % 10000:04d}"
        simulator = CallSimulator(
            post, base, TOKEN, caller=caller, call_sid=f"CA{uuid.uuid4().hex}"
        )
        if call_failed(simulator.play(person)):
            with tally.lock:
                tally.failed_calls += 1

    plans = [
        (n, rng.uniform(0, arrive_over), [rng.uniform(*pause) for _ in range(len(SCRIPT) + 4)])
        for n in range(callers)
    ]
    cpu, wall = sum(os.times()[:2]), time.monotonic()
    threads = [threading.Thread(target=one, args=plan) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Seen(
        dict(tally.times),
        tally.errors,
        tally.failed_calls,
        sum(os.times()[:2]) - cpu,
        time.monotonic() - wall,
    )


def step(
    pool: multiprocessing.pool.Pool,
    base: str,
    callers: int,
    drivers: int,
    pids: list[int],
    url: str,
    arrive_over: float,
) -> dict[str, float]:
    shares = [callers // drivers + (1 if d < callers % drivers else 0) for d in range(drivers)]
    web = cpu_seconds(pids)
    with DatabaseCpu(url) as database:
        results = pool.starmap(
            drive,
            [
                (base, share, 1000 * callers + d, (3.0, 8.0), arrive_over)
                for d, share in enumerate(shares)
            ],
        )
    times = [t for r in results for kind in r.times.values() for t in kind]
    return {
        "callers": callers,
        "requests": len(times),
        "p50": percentile(times, 0.5),
        "p99": percentile(times, 0.99),
        "max": max(times, default=0.0),
        "errors": sum(r.errors for r in results),
        "failed": sum(r.failed_calls for r in results),
        "driver": max(r.cpu / r.wall for r in results),
        "web_cpu": (cpu_seconds(pids) - web) / max(1, len(times)),
        "db_cpu": database.seconds / max(1, len(times)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="a database of this run's own (emptied first)")
    parser.add_argument("--steps", default="100,200,400,700,1000,1300")
    parser.add_argument("--drivers", type=int, default=4)
    parser.add_argument(
        "--arrive-over", type=float, default=8.0, help="seconds over which the callers dial in"
    )
    parser.add_argument("--gateway", choices=["console", "twilio-like"], default="console")
    parser.add_argument(
        "--gateway-latency", default="0.15-0.6", help="the twilio-like gateway's answer, seconds"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    url, env = line_environment(args.database, workdir, args.database_url)
    deployed = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    log = workdir / "servers.log"
    line = Server("app:create_app()", env, deployed["workers"], deployed["threads"], log)
    gateway = None
    if args.gateway == "twilio-like":
        low, high = (float(s) for s in args.gateway_latency.split("-"))
        gateway = TwilioLike(workdir, (low, high))
    worker = start_worker({**env, **(gateway.environment() if gateway else {})}, log)
    engine = "postgres" if url.startswith("postgresql") else "sqlite"
    print(
        f"people-paced callers (3-8 s before each answer), gunicorn gthread "
        f"{deployed['workers']}x{deployed['threads']}, {engine}, {args.drivers} driver "
        f"processes, {os.cpu_count()} cores, "
        + (f"a Twilio-like gateway ({args.gateway_latency} s)" if gateway else "console gateway")
    )
    print(
        f"  {'callers':>7} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} "
        f"{'failed':>6} {'web CPU/req':>11} {'db CPU/req':>10} {'driver':>7}"
    )
    held = 0
    try:
        with multiprocessing.get_context("spawn").Pool(args.drivers) as pool:
            for callers in (int(n) for n in args.steps.split(",")):
                since = dt.datetime.now(dt.UTC)
                s = step(pool, line.base, callers, args.drivers, line.pids, url, args.arrive_over)
                bound = " driver-bound" if s["driver"] > DRIVER_LIMIT else ""
                print(
                    f"  {callers:7} {s['requests']:8.0f} {s['p50'] * 1000:7.1f} "
                    f"{s['p99'] * 1000:7.1f} {s['max'] * 1000:7.0f} {s['errors']:6.0f} "
                    f"{s['failed']:6.0f} "
                    f"{s['web_cpu'] * 1000:9.2f}ms {s['db_cpu'] * 1000:8.2f}ms "
                    f"{s['driver']:6.0%}{bound}",
                    flush=True,
                )
                arrived = gateway.arrived if gateway else None
                print(f"    {queue_figures(url, since, 600, arrived)}", flush=True)
                if gateway:
                    print(f"    gateway: at most {gateway.most_in_flight} requests at once")
                if (
                    s["p99"] > P99_LIMIT
                    or s["max"] > MAX_LIMIT
                    or s["errors"]
                    or s["failed"]
                    or bound
                ):
                    break
                held = callers
    finally:
        worker.terminate()
        worker.wait()
        line.stop()
        if gateway:
            gateway.stop()
    print(
        f"held: {held} concurrent callers with p99 under {P99_LIMIT:.0f} s, none over "
        f"{MAX_LIMIT:.0f} s, and no errors"
    )
    failures = log.read_text().count("Traceback")
    print(f"server-side exceptions: {failures}" + (f" (see {log})" if failures else ""))


if __name__ == "__main__":
    main()
