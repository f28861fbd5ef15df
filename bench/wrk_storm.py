"""Whole calls replayed by wrk against the line, beside the floor and the floor with a turn's
necessary parts, in the same rounds; servers pinned to one core, wrk to the other.

One caller's call (13 webhooks, joining a known outage) is recorded once, then re-signed for
every replayed call with a CallSid and a number of its own, so each is a new caller to the line.
wrk (C, 0.1 ms of CPU a request) sends them, one connection per thread so each connection's
webhooks keep their order, and the servers' CPU is read from /proc: a floor this cheap to drive
is not bound by its driver. The line's PostgreSQL backends are pinned with the servers and their
CPU counted with the line's. Then a few calls go through a counting proxy (bench/wire.py) for the
statements and round trips each call costs on the wire.

    .venv/bin/python bench/wrk_storm.py [--seconds 15] [--rounds 2] [--connections 50]
        [--also 2x1,4x8] [--database-url postgresql://…/a_database_of_your_own]

Needs wrk (`apt-get install wrk`; installed when missing and this runs as root) and taskset.
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from sqlalchemy import create_engine, func, select, text
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.simulator import CallSimulator, scripted  # noqa: E402
from app.models import Call, CallStatus  # noqa: E402
from bench.call_storm import (  # noqa: E402
    NEW_INCIDENT,
    SCRIPT,
    TOKEN,
    DatabaseCpu,
    cpu_seconds,
    line_environment,
    start_worker,
    workers_of,
)
from bench.webhook_parts import PARTS  # noqa: E402
from bench.wire import WireCounter  # noqa: E402
from tests.servers import free_port  # noqa: E402

BIN = Path(sys.executable).parent
# Every server checks signatures against this base, so one pre-signed request fits them all.
PUBLIC = "https://line.example.edu"
SECRET = secrets.token_hex(32)
LUA = """
local requests, next_one = {}, 0
function setup(thread)
  thread:set("id", counter or 0)
  counter = (counter or 0) + 1
end
function init(args)
  for line in io.lines(args[1] .. "/connection-" .. id .. ".txt") do
    local path, signature, body = line:match("([^\\t]*)\\t([^\\t]*)\\t(.*)")
    requests[#requests + 1] = wrk.format("POST", path, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = signature,
    }, body)
  end
end
function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
"""


@dataclass
class Side:
    label: str
    app: str
    workers: int
    threads: int
    database: bool
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    results: list[dict[str, float]] = field(default_factory=list)

    def start(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        env = {
            **env,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "WEB_THREADS": str(self.threads),
            "PUBLIC_BASE_URL": PUBLIC,
            "SECRET_KEY": SECRET,
        }
        command = ["taskset", "-c", "0", str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
        with log.open("a") as errors:
            self.process = subprocess.Popen(
                [*command, self.app], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors
            )
        deadline = time.monotonic() + 60
        while len(self.pids) < self.workers or not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start serving {self.app}: see {log}")
            time.sleep(0.2)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return workers_of(self.process.pid) if self.process else []

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=5).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()


def record_call(
    base: str, script: tuple[str, ...], caller: str
) -> list[tuple[str, dict[str, str]]]:
    """The webhooks of one call through the served line: (path and query, parameters)."""
    sent: list[tuple[str, dict[str, str]]] = []

    def transport(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        sent.append((path, dict(params)))
        response = requests.post(
            base + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=15
        )
        return response.status_code, response.text

    transcript = CallSimulator(transport, PUBLIC, TOKEN, caller=caller).play(scripted(script))
    if transcript.errors or any("/voice/fallback" in path for path, _ in sent):
        raise RuntimeError(f"the recorded call failed: {transcript.errors or sent}")
    return sent


def write_requests(
    folder: Path, call: list[tuple[str, dict[str, str]]], connections: int, calls: int, tag: str
) -> None:
    """`calls` calls for each connection, each call a new caller, every request signed."""
    validator = RequestValidator(TOKEN)
    folder.mkdir(parents=True)
    for connection in range(connections):
        lines = []
        for n in range(calls):
            number = connection * calls + n
            own = {"CallSid": f"CA{tag}{number:08d}", "From": f"+13194{number % 1_000_000:06d}"}
            for path, params in call:
                params = {**params, **own}
                signature = validator.compute_signature(PUBLIC + path, params)
                lines.append(f"{path}\t{signature}\t{urlencode(params)}\n")
        (folder / f"connection-{connection}.txt").write_text("".join(lines))


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def run_wrk(side: Side, folder: Path, script: Path, connections: int, duration: int) -> str:
    command = ["taskset", "-c", "1", "wrk", "-t", str(connections), "-c", str(connections)]
    command += ["-d", f"{duration}s", "--latency", "--timeout", "15s", "-s", str(script)]
    result = subprocess.run(
        [*command, side.base, "--", str(folder)], capture_output=True, text=True, check=True
    )
    return result.stdout


def parse_wrk(output: str) -> dict[str, float]:
    figures = {
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "errors": 0.0,
    }
    for share, value in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE):
        figures[f"p{share}"] = seconds(value)
    if "p99" not in figures:
        raise RuntimeError(f"wrk printed no latency distribution:\n{output}")
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        figures["errors"] += float(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        figures["errors"] += sum(float(n) for n in found.groups())
    return figures


def postgres_pids(url: str) -> tuple[int, list[int]]:
    """PostgreSQL's postmaster and its children."""
    engine = create_engine(url)
    with engine.connect() as connection:
        data = connection.scalar(text("SHOW data_directory"))
    engine.dispose()
    postmaster = int(Path(data, "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
    return postmaster, [int(pid) for pid in children.stdout.split()]


def pin_postgres(url: str, cores: str) -> None:
    """Pin PostgreSQL (and the backends it will fork) to `cores`; needs root."""
    postmaster, children = postgres_pids(url)
    for pid in (postmaster, *children):
        pinned = subprocess.run(["taskset", "-a", "-p", "-c", cores, str(pid)], capture_output=True)
        if pinned.returncode:
            print(f"PostgreSQL left unpinned (taskset needs root): {pinned.stderr.decode()}")
            return


def calls_filed(url: str) -> tuple[int, int]:
    """(calls whose report was filed, calls in all) in the run's database."""
    engine = create_engine(url)
    with engine.connect() as connection:
        filed = connection.scalar(
            select(func.count()).select_from(Call).where(Call.status == CallStatus.REPORTED)
        )
        every = connection.scalar(select(func.count()).select_from(Call))
    engine.dispose()
    return filed or 0, every or 0


def on_the_wire(
    env: dict[str, str], url: str, call: list[tuple[str, dict[str, str]]], calls: int, log: Path
) -> tuple[float, float]:
    """Statements and round trips per call, counted by a proxy in front of PostgreSQL."""
    counter = WireCounter()
    through = counter.start(url)
    side = Side("line", "app:create_app()", 1, 1, True)
    side.start({**env, "DATABASE_URL": through}, log)
    validator = RequestValidator(TOKEN)
    try:
        session = requests.Session()
        before = counter.snapshot()
        for n in range(calls):
            own = {"CallSid": f"CAwire{n:08d}", "From": f"+13196{n:06d}"}
            for path, params in call:
                params = {**params, **own}
                signature = validator.compute_signature(PUBLIC + path, params)
                session.post(
                    side.base + path, data=params, headers={"X-Twilio-Signature": signature}
                )
        sent = counter.snapshot() - before
    finally:
        side.stop()
    return sent.statements / calls, sent.round_trips / calls


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15, help="each side's turn in a round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--also", default="", help="more line settings, e.g. 2x1,4x8")
    parser.add_argument("--wire-calls", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL database of this run's own")
    args = parser.parse_args()
    ensure_wrk()
    deployed = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    workers, threads = deployed["workers"], deployed["threads"]
    workdir = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
    url, env = line_environment("postgres", workdir, args.database_url)
    log = workdir / "servers.log"
    script = workdir / "replay.lua"
    script.write_text(LUA)

    sides = [
        Side("floor", "bench.floor_app:create_app()", workers, threads, False),
        *[
            Side(
                part,
                f"bench.webhook_parts:served({part!r})",
                workers,
                threads,
                part in ("database", "psycopg"),
            )
            for part in PARTS
        ],
        Side("line", "app:create_app()", workers, threads, True),
        *[
            Side(f"line {setting}", "app:create_app()", *map(int, setting.split("x")), True)
            for setting in filter(None, args.also.split(","))
        ],
    ]
    pin_postgres(url, "0")
    worker = None
    try:
        for side in sides:
            side.start(env, log)
        worker = start_worker(env, log)
        line = next(side for side in sides if side.label == "line")
        record_call(line.base, NEW_INCIDENT, "+13195550142")  # the outage the others join
        call = record_call(line.base, SCRIPT, "+13195550143")
        # Enough calls that no connection runs out within its turn, at the floor's pace.
        per_connection = max(20, 3000 * args.seconds // (len(call) * args.connections))
        for n in range(args.rounds):
            order = sides[n % len(sides) :] + sides[: n % len(sides)]
            for side in order:
                folder = workdir / f"round-{n}-{side.label.replace(' ', '-')}"
                write_requests(
                    folder, call, args.connections, per_connection, f"{n}{sides.index(side)}"
                )
                pids = side.pids
                cpu = cpu_seconds(pids)
                with DatabaseCpu(url if side.database else "sqlite://") as database:
                    output = run_wrk(side, folder, script, args.connections, args.seconds)
                figures = parse_wrk(output)
                figures["cpu"] = cpu_seconds(pids) - cpu
                figures["db_cpu"] = database.seconds
                side.results.append(figures)
                shutil.rmtree(folder)
        filed, every = calls_filed(url)
        statements, round_trips = on_the_wire(env, url, call, args.wire_calls, log)
    finally:
        pin_postgres(url, f"0-{(os.cpu_count() or 1) - 1}")
        if worker is not None:
            worker.terminate()
            worker.wait()
        for side in sides:
            side.stop()

    print(
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds} s a side, "
        f"gunicorn {workers}x{threads} (line {', '.join(args.also.split(',')) or ''}); servers and "
        f"PostgreSQL on core 0, wrk on core 1; a call is {len(call)} webhooks"
    )
    print(f"{'side':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'errors':>7}")
    floor_rps = floor_cpu = 0.0
    for side in sides:
        done = sum(r["requests"] for r in side.results)
        rps = sum(r["rps"] for r in side.results) / len(side.results)
        cpu = sum(r["cpu"] + r["db_cpu"] for r in side.results) / done * 1000
        p50 = max(r["p50"] for r in side.results) * 1000
        p99 = max(r["p99"] for r in side.results) * 1000
        errors = sum(r["errors"] for r in side.results)
        if side.label == "floor":
            floor_rps, floor_cpu = rps, cpu
        ratio = f"  ({rps / floor_rps:.2f}x the floor's req/s, {cpu / floor_cpu:.1f}x its CPU)"
        print(
            f"{side.label:34} {rps:8.0f} {p50:8.1f} {p99:8.1f} {cpu:11.2f} {errors:7.0f}"
            + (ratio if side.label != "floor" else "")
        )
    print(f"calls filed by the line: {filed} of {every} begun (the rest cut off by the clock)")
    print(f"on the wire, per call: {statements:.1f} statements, {round_trips:.1f} round trips")
    failures = log.read_text().count("Traceback")
    print(f"server-side exceptions: {failures}" + (f" (see {log})" if failures else ""))
    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
