"""A call storm against gunicorn, side by side with the bare-Flask floor.

The callers run in several driver processes (`--drivers`, 4 by default), each reporting its own
CPU; a run where any of them used more than 60 % of a core measured the driver, not the server,
and ends with an error saying so.

N concurrent callers play the whole voice menu over HTTP with signed requests, following the
TwiML like Twilio does (the project's call simulator); responders' SMS replies arrive meanwhile
and the worker sends the callers' texts and the pages beside the web processes, as deployed.
The same driver calls the floor app (static TwiML) under the same gunicorn settings. Floor and
line take turns in rounds, so a shared machine's slow spells fall on both; the line's figures
are given as ratios to the floor's.

    .venv/bin/python bench/call_storm.py --callers 50 --calls 1000 [--database postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import runpy
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from multiprocessing.pool import Pool
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.simulator import CallSimulator, Transcript, scripted  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Notification, OutboxStatus  # noqa: E402
from app.paging.delivery import URGENT_KINDS  # noqa: E402
from bench.pg import prepare  # noqa: E402
from bench.webhook_parts import PARTS  # noqa: E402
from tests.servers import free_port  # noqa: E402
from tests.support import FULL_CANVAS_CALL  # noqa: E402

TOKEN = "bench-auth-token"
BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
# Everyone calls about the same outage and joins it, as in a campus-wide failure.
SCRIPT = (*FULL_CANVAS_CALL[:2], "press 1", *FULL_CANVAS_CALL[2:])
# Every 50th caller says theirs is a different problem ("press 2"): a new incident and its first
# page, 20 per 1,000 calls, so a page's due -> gateway is measured inside the storm too.
NEW_INCIDENT = (*FULL_CANVAS_CALL[:2], "press 2", *FULL_CANVAS_CALL[2:])
NEW_INCIDENT_EVERY = 50
# The demo roster's people, answering their pages while the calls come in.
RESPONDERS = ("+13195550101", "+13195550102", "+13195550103", "+13195550110", "+13195550120")
REPLIES = ("ACK", "LIST")
# A driver process busier than this (of one core) is measuring itself, not the server.
DRIVER_LIMIT = 0.6


# --- processes -------------------------------------------------------------------------------


def workers_of(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def peak_of(pid: int) -> float:
    """VmHWM (peak resident memory) of one process, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a database backend that ended
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, to tell how much of the cores a run used."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class DatabaseCpu:
    """CPU used by this benchmark's own PostgreSQL backends (not every postgres process on the
    machine) over a span. The backends are looked up every quarter second, so one that starts
    and ends inside the span (a pool's overflow connection) still counts, from its start; one
    that lives less than that is missed. Zero for SQLite."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> DatabaseCpu:
        if self.url.startswith("postgresql"):
            self.engine = make_engine(self.url)
            self._sample()
            self.first = dict(self.last)
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._sample()
            self.engine.dispose()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def _sample(self) -> None:
        with self.engine.connect() as connection:
            pids = connection.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
        for pid in pids:
            cpu = cpu_seconds([pid])
            if cpu:  # 0: it ended meanwhile; what was seen of it before stands
                self.last[pid] = cpu


class Server:
    """gunicorn as the deployment guide runs it (`deploy/gunicorn.conf.py`), serving `app`."""

    def __init__(self, app: str, env: dict[str, str], workers: int, threads: int, log: Path):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        # The line checks signatures against PUBLIC_BASE_URL: give it the URL the driver calls.
        env = {
            **env,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "WEB_THREADS": str(threads),
            "PUBLIC_BASE_URL": self.base,
        }
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app]
        with log.open("a") as errors:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors
            )
        deadline = time.monotonic() + 60
        while len(self.pids) < workers or not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                raise RuntimeError(f"gunicorn did not start serving {app}: see {log}")
            time.sleep(0.2)

    @property
    def pids(self) -> list[int]:
        return workers_of(self.process.pid)

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=5).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def profile(parent: int, output: Path | None) -> subprocess.Popen | None:
    """py-spy sampling every web process (it needs ptrace rights: root, or ptrace_scope 0).
    Only the thread holding the interpreter lock is sampled: the others, back from a socket
    write or a query, wait for it and would count as busy."""
    if output is None:
        return None
    command = [
        str(BIN / "py-spy"),
        "record",
        "--gil",
        "--subprocesses",
        "--pid",
        str(parent),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(output),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # let it attach before the first caller rings
    return process


# --- the storm -------------------------------------------------------------------------------


class Tally:
    """One side's requests and the CPU spent on them, summed over its rounds."""

    def __init__(self, pids: list[int], database_url: str, checks_calls: bool = True) -> None:
        self.pids = pids
        self.database_url = database_url
        # The floor's static TwiML reads no reference; only the line's calls are checked.
        self.checks_calls = checks_calls
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors = 0
        # Calls that answered 200 but went wrong: sent to the fallback voicemail, or ended
        # without the reference being read.
        self.failed_calls = 0
        self.seconds = 0.0
        self.web_cpu = self.driver_cpu = self.database_cpu = 0.0
        # The busiest driver process's share of one core, over the busiest round.
        self.driver_peak = 0.0
        self.busy = self.jiffies = 0
        self.round_rps: list[float] = []

    @property
    def requests(self) -> int:
        return sum(len(times) for times in self.times.values())

    def storm(
        self,
        base: str,
        callers: int,
        calls: range,
        sms_every: int,
        pool: Pool | None = None,
        drivers: int = 1,
    ) -> None:
        """One round: in this process's threads, or split over the driver processes of `pool`
        (each with its share of the callers and calls), so no one driver is the bottleneck."""
        served, web, driver = self.requests, cpu_seconds(self.pids), sum(os.times()[:2])
        busy, jiffies = machine_busy()
        with DatabaseCpu(self.database_url) as database:
            if pool is None:
                seconds = storm(self, base, callers, calls, sms_every)
                driver_cpu = sum(os.times()[:2]) - driver
                self.driver_peak = max(self.driver_peak, driver_cpu / seconds)
            else:
                started = time.perf_counter()
                slices = [
                    (base, max(1, callers // drivers), list(calls)[d::drivers], sms_every)
                    for d in range(drivers)
                ]
                driver_cpu = 0.0
                for seen in pool.starmap(partial(drive, self.checks_calls), slices):
                    for kind, times in seen.times.items():
                        self.times[kind].extend(times)
                    self.errors += seen.errors
                    self.failed_calls += seen.failed_calls
                    driver_cpu += seen.cpu
                    self.driver_peak = max(self.driver_peak, seen.cpu / seen.wall)
                seconds = time.perf_counter() - started
        self.seconds += seconds
        self.round_rps.append((self.requests - served) / seconds)
        self.web_cpu += cpu_seconds(self.pids) - web
        self.driver_cpu += driver_cpu
        self.database_cpu += database.seconds
        now_busy, now_jiffies = machine_busy()
        self.busy += now_busy - busy
        self.jiffies += now_jiffies - jiffies

    def record(self, url: str, status: int, elapsed: float) -> None:
        path = url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        kind = "/" + "/".join(path.split("/")[:2])
        if path.startswith("voice/answer/"):
            kind = "/voice/answer/" + path.split("/")[2]
        with self.lock:
            self.times[kind].append(elapsed)
            if status >= 400:
                self.errors += 1


def transport(tally: Tally, session: requests.Session, timeout: float = 15):  # type: ignore[no-untyped-def]
    def post(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            headers = {"X-Twilio-Signature": signature}
            response = session.post(url, data=params, headers=headers, timeout=timeout)
            status, body = response.status_code, response.text
        except requests.RequestException:
            status, body = 599, ""
        tally.record(url, status, time.perf_counter() - started)
        return status, body

    return post


@dataclass
class Seen:
    """One driver process's round."""

    times: dict[str, list[float]]
    errors: int
    failed_calls: int
    cpu: float
    wall: float


def drive(checks_calls: bool, base: str, callers: int, calls: list[int], sms_every: int) -> Seen:
    """A driver process: its share of a round, in its own threads."""
    tally = Tally([], "", checks_calls)
    cpu = sum(os.times()[:2])
    wall = storm(tally, base, callers, calls, sms_every)
    return Seen(
        dict(tally.times), tally.errors, tally.failed_calls, sum(os.times()[:2]) - cpu, wall
    )


def call_failed(transcript: Transcript) -> bool:
    """Answered 200 but went wrong: sent to the fallback voicemail, or ended without a
    reference read out (every call ends with its own, or the outage's it joined)."""
    fallback = any("/voice/fallback" in url for url in transcript.requests)
    return fallback or "A, H, " not in transcript.text


def storm(tally: Tally, base: str, callers: int, calls: Iterable[int], sms_every: int) -> float:
    local = threading.local()
    validator = RequestValidator(TOKEN)

    def one_call(n: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        post = transport(tally, local.session)
        simulator = CallSimulator(
            post,
            base,
            TOKEN,
            caller=f"+1319555{(n % 9000) + 1000:04d}",
            call_sid=f"CA{uuid.uuid4().hex}",
        )
        new_incident = n % NEW_INCIDENT_EVERY == NEW_INCIDENT_EVERY // 2
        transcript = simulator.play(scripted(NEW_INCIDENT if new_incident else SCRIPT))
        if tally.checks_calls and call_failed(transcript):
            with tally.lock:
                tally.failed_calls += 1
        if sms_every and n % sms_every == 0:
            reply = n // sms_every
            sms = {
                "MessageSid": f"SM{uuid.uuid4().hex}",
                "Body": REPLIES[reply % len(REPLIES)],
                "From": RESPONDERS[reply % len(RESPONDERS)],
            }
            url = f"{base}/sms/inbound"
            post(url, sms, validator.compute_signature(url, sms))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        list(pool.map(one_call, calls))
    return time.perf_counter() - started


# --- figures ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(label: str, tally: Tally) -> dict[str, float]:
    every = [t for times in tally.times.values() for t in times]
    rps = len(every) / tally.seconds
    p50, p95, p99 = (percentile(every, share) * 1000 for share in (0.5, 0.95, 0.99))
    print(
        f"\n{label}: {len(every)} requests in {tally.seconds:.1f}s = {rps:.0f} req/s, "
        f"errors {tally.errors}, failed calls {tally.failed_calls}; all webhooks p50 "
        f"{p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms"
    )
    print(f"  {'webhook':28} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, times in sorted(tally.times.items()):
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        p99 = percentile(times, 0.99) * 1000
        print(f"  {kind:28} {len(times):6} {p50:8.1f} {p95:8.1f} {p99:8.1f}")
    print(
        f"  CPU per request: web {tally.web_cpu * 1000 / len(every):.2f} ms, PostgreSQL "
        f"{tally.database_cpu * 1000 / len(every):.2f} ms, driver "
        f"{tally.driver_cpu * 1000 / len(every):.2f} ms; machine busy "
        f"{tally.busy / max(1, tally.jiffies):.0%}"
    )
    return {
        "rps": rps,
        "p50": statistics.median(every),
        "p95": percentile(every, 0.95),
        "p99": percentile(every, 0.99),
        "errors": tally.errors + tally.failed_calls,
    }


def against_floor(
    label: str, figures: dict[str, dict[str, float]], tallies: dict[str, Tally]
) -> str:
    """One side's throughput, p99 and web CPU per request as multiples of the floor's."""
    side, floor = figures[label], figures["floor"]
    cpu = tallies[label].web_cpu / tallies[label].requests
    floor_cpu = tallies["floor"].web_cpu / tallies["floor"].requests
    return (
        f"{label:9} throughput {side['rps'] / floor['rps']:.2f}, p99 "
        f"{side['p99'] / floor['p99']:.2f}x, web CPU {cpu * 1000:.2f} ms = "
        f"{cpu / floor_cpu:.2f}x, errors {side['errors']:.0f}"
    )


def queue_figures(
    url: str, since: dt.datetime, wait: float, arrived: Mapping[str, dt.datetime] | None = None
) -> str:
    """Wait (up to `wait` s) for the worker to send everything due, then say how long the texts
    and pages created during the storm waited between falling due and reaching the gateway.
    `arrived`: when a gateway of the benchmark's own saw each sid; without it, a row's `sent_at`
    (the moment its send began) stands for it."""
    engine = create_engine(url)
    unsent = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
    deadline = time.monotonic() + wait
    with Session(engine) as session:
        while time.monotonic() < deadline and session.scalar(
            select(func.count(Notification.id)).where(
                Notification.status.in_(unsent), Notification.due_at <= dt.datetime.now(dt.UTC)
            )
        ):
            session.rollback()
            time.sleep(0.5)
        rows = session.execute(
            select(
                Notification.kind,
                Notification.status,
                Notification.due_at,
                Notification.sent_at,
                Notification.provider_sid,
            ).where(Notification.created_at >= since)
        ).all()
        opening = from_the_commit(session, since)
    engine.dispose()
    counts: dict[str, int] = defaultdict(int)
    for kind, status, *_ in rows:
        counts[f"{kind} {status}"] += 1
    summary = ", ".join(f"{n} {key}" for key, n in sorted(counts.items())) or "none"
    waits: dict[str, list[float]] = defaultdict(list)
    for kind, _, due, sent, sid in rows:
        if arrived is not None:
            sent = arrived.get(sid) if sid else None
        if sent and due:
            # Pages (and put-through calls) are claimed first; receipts and notices wait behind.
            waits["pages" if kind in URGENT_KINDS else "other texts"].append(
                (sent - due).total_seconds()
            )
    spans = [
        f"{group} ({len(seen)}) p50 {statistics.median(seen):.2f} s, "
        f"p99 {percentile(seen, 0.99):.2f} s, max {max(seen):.2f} s"
        for group, seen in sorted(waits.items())
    ]
    return (
        f"notifications: {summary}; due -> gateway: "
        + "; ".join(spans or ["nothing sent"])
        + (f"\n  {opening}" if opening else "")
    )


# The opening event is written once and never changed, so its xmin is the opening transaction's.
OPENINGS = text(
    "SELECT n.due_at, pg_xact_commit_timestamp(e.xmin), n.claimed_at, n.sent_at "
    "FROM notifications n "
    "JOIN incident_events e ON e.incident_id = n.incident_id AND e.kind = 'opened' "
    "AND e.at = n.due_at WHERE n.kind = 'page' AND n.created_at >= :since "
    "AND n.sent_at IS NOT NULL"
)


def from_the_commit(session: Session, since: dt.datetime) -> str:
    """A page written by the turn that opens its incident is due from that turn's `now`, but no
    worker can see it before the turn commits. With PostgreSQL's commit timestamps on, split its
    wait there: the rest of the caller's turn, then the commit to the gateway."""
    if session.get_bind().dialect.name != "postgresql":
        return ""
    if session.scalar(text("SHOW track_commit_timestamp")) != "on":
        return "pages on opening, commit -> gateway: needs track_commit_timestamp = on"
    rows = session.execute(OPENINGS, {"since": since}).all()
    if not rows:
        return ""
    parts = {
        "due -> commit": [(commit - due).total_seconds() for due, commit, _, _ in rows],
        "commit -> gateway": [(sent - commit).total_seconds() for _, commit, _, sent in rows],
        # The claim's moment is when the worker began to claim it: waking up comes before it,
        # the claim itself and the gateway after.
        "of which commit -> claiming": [
            (claimed - commit).total_seconds() for _, commit, claimed, _ in rows
        ],
    }
    return f"pages on opening ({len(rows)}): " + "; ".join(
        f"{name} p50 {statistics.median(seen) * 1000:.0f} ms, "
        f"p99 {percentile(seen, 0.99) * 1000:.0f} ms, max {max(seen) * 1000:.0f} ms"
        for name, seen in parts.items()
    )


def line_environment(database: str, workdir: Path, url: str | None) -> tuple[str, dict[str, str]]:
    """The benchmark's own database with the demo data, and the environment the line's
    processes run with."""
    url = prepare(database, workdir, url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
        "SMS_BACKEND": "console",
        "VOICEMAIL_SPOOL_DIR": str(workdir / "spool"),
        # Pinned after hours: the scripted call takes the same path whatever the time of day.
        "BUSINESS_HOURS": "",
    }
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", "demo", "load"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return url, env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The worker beside the web processes, as deployed; its errors go to `log`."""
    with log.open("a") as errors:
        return subprocess.Popen(
            [str(BIN / "flask"), "--app", "app", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument(
        "--rounds", type=int, help="turns each side takes (default: 1 per 100 calls)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url",
        help="a database of this run's own (emptied first), so two runs never share one",
    )
    parser.add_argument(
        "--workers", type=int, help="gunicorn processes (default: the deployment's)"
    )
    parser.add_argument(
        "--threads", type=int, help="threads per process (default: the deployment's)"
    )
    parser.add_argument("--sms-every", type=int, default=10, help="an SMS reply every N calls")
    parser.add_argument(
        "--drivers",
        type=int,
        default=4,
        help="driver processes sharing the callers (1: threads in this process)",
    )
    parser.add_argument(
        "--profile", type=Path, metavar="FILE", help="py-spy samples of the line, collapsed stacks"
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also serve the floor with a turn's required parts added (bench/webhook_parts.py)",
    )
    args = parser.parse_args()
    rounds = args.rounds or max(1, args.calls // 100)
    deployed = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    workers, threads = args.workers or deployed["workers"], args.threads or deployed["threads"]

    workdir = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    url, env = line_environment(args.database, workdir, args.database_url)

    log = workdir / "servers.log"
    floor = Server("bench.floor_app:create_app()", env, workers, threads, log)
    line = Server("app:create_app()", env, workers, threads, log)
    parts = {
        part: Server(f"bench.webhook_parts:served({part!r})", env, workers, threads, log)
        for part in (PARTS if args.parts else ())
        if part != "psycopg" or url.startswith("postgresql")
    }
    worker = start_worker(env, log)
    tallies = {
        "floor": Tally(floor.pids, url, checks_calls=False),
        **{part: Tally(server.pids, url, checks_calls=False) for part, server in parts.items()},
        "line": Tally(line.pids, url),
    }
    servers = {"floor": floor, **parts, "line": line}
    worker_cpu = cpu_seconds([worker.pid])
    started = dt.datetime.now(dt.UTC)
    profiler = profile(line.process.pid, args.profile)
    pool = get_context("spawn").Pool(args.drivers) if args.drivers > 1 else None
    try:
        for n in range(rounds):
            calls = range(n * args.calls // rounds, (n + 1) * args.calls // rounds)
            # Each round starts with a different side, so a slow spell or a cold start falls
            # on none of them alone.
            order = list(servers.items())
            for label, server in order[n % len(order) :] + order[: n % len(order)]:
                sms_every = args.sms_every if label == "line" else 0
                tallies[label].storm(
                    server.base, args.callers, calls, sms_every, pool, args.drivers
                )
        queue = queue_figures(url, started, wait=120)
        worker_cpu = cpu_seconds([worker.pid]) - worker_cpu
        peaks = {label: [peak_of(pid) for pid in server.pids] for label, server in servers.items()}
        worker_peak = peak_of(worker.pid)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()
        worker.terminate()
        worker.wait()
        for server in servers.values():
            server.stop()

    print(
        f"{args.callers} concurrent callers, {args.calls} calls in {rounds} rounds on each "
        f"side, gunicorn gthread {workers}x{threads}, {args.database}, "
        f"{os.cpu_count()} cores"
    )
    figures = {}
    engine_name = "postgres" if url.startswith("postgresql") else "sqlite"
    titles = {
        "floor": "floor (static TwiML)",
        **{part: f"the floor with the parts up to {part}" for part in parts},
        **(
            {"psycopg": "the floor with the parts, the statements on bare psycopg"}
            if "psycopg" in parts
            else {}
        ),
        "line": f"the line ({engine_name})",
    }
    for label, title in titles.items():
        figures[label] = report(title, tallies[label])
        print(
            f"  peak memory of each web process after {args.calls} calls: "
            + ", ".join(f"{mb:.0f} MiB" for mb in peaks[label])
        )
    print(f"  worker: peak memory {worker_peak:.0f} MiB, CPU {worker_cpu:.1f} s; {queue}")
    print("\nratios, line / floor:")
    for key in ("p50", "p95", "p99"):
        print(f"  {key}: {figures['line'][key] / figures['floor'][key]:.2f}x")
    # Each webhook's p99 against the floor's for the same kind (its answers stand for every step).
    floor_times = tallies["floor"].times
    each = []
    for kind, times in sorted(tallies["line"].times.items()):
        floor_kind = kind if kind in floor_times else "/voice/answer/x"
        ratio = percentile(times, 0.99) / percentile(floor_times[floor_kind], 0.99)
        each.append(f"{kind.rsplit('/', 1)[-1]} {ratio:.2f}x")
    print(f"  p99 by webhook: {', '.join(each)}")
    pairs = zip(tallies["line"].round_rps, tallies["floor"].round_rps, strict=True)
    by_round = [line / floor for line, floor in pairs]
    print(
        f"  throughput: {figures['line']['rps'] / figures['floor']['rps']:.2f} of the floor "
        f"(by round: median {statistics.median(by_round):.2f}, {min(by_round):.2f} to "
        f"{max(by_round):.2f})"
    )
    if parts:
        print("\nthe floor with a turn's required parts, against the floor:")
        for part in (*parts, "line"):
            print("  " + against_floor(part, figures, tallies))
    failures = log.read_text().count("Traceback")
    print(f"  server-side exceptions: {failures}" + (f" (see {log})" if failures else ""))
    peak = max(tally.driver_peak for tally in tallies.values())
    print(f"  busiest driver process: {peak:.0%} of a core ({args.drivers} drivers)")
    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)
    if peak > DRIVER_LIMIT:
        # The figures would measure the load driver, not the server: more drivers, or fewer
        # callers per driver.
        raise SystemExit(f"driver-bound: a driver process used {peak:.0%} of a core")


if __name__ == "__main__":
    main()
