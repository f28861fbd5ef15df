"""A call storm against gunicorn, side by side with the bare-Flask floor.

N concurrent callers play the whole voice menu over HTTP with signed requests, following the
TwiML like Twilio does (the project's call simulator); responders' SMS replies arrive meanwhile.
The same driver then hits the floor app (static TwiML) under the same gunicorn settings, so the
line's figures can be given as ratios to what the stack itself costs.

    .venv/bin/python bench/call_storm.py --callers 50 --calls 300 [--database postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.migrate import upgrade  # noqa: E402
from app.simulator import CallSimulator, scripted  # noqa: E402
from bench.pg import fresh_database  # noqa: E402
from tests.support import FULL_CANVAS_CALL  # noqa: E402

TOKEN = "bench-auth-token"
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(
    app: str, env: dict[str, str], workers: int, threads: int
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(GUNICORN), app, "-b", f"127.0.0.1:{port}", "-k", "gthread", "-w",
               str(workers), "--threads", str(threads), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=5)
            return process, base
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors = 0

    def transport(self, session: requests.Session):  # type: ignore[no-untyped-def]
        def post(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
            started = time.perf_counter()
            try:
                headers = {"X-Twilio-Signature": signature}
                response = session.post(url, data=params, headers=headers, timeout=15)
                status, body = response.status_code, response.text
            except requests.RequestException:
                status, body = 599, ""
            elapsed = time.perf_counter() - started
            path = url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
            kind = "/" + "/".join(path.split("/")[:2])
            if path.startswith("voice/answer/"):
                kind = "/voice/answer/" + path.split("/")[2]
            with self.lock:
                self.times[kind].append(elapsed)
                if status >= 400:
                    self.errors += 1
            return status, body

        return post


def storm(base: str, callers: int, calls: int, sms_every: int) -> tuple[Recorder, float]:
    recorder = Recorder()
    local = threading.local()

    def one_call(n: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        simulator = CallSimulator(recorder.transport(local.session), base, TOKEN,
                                  caller=f"+1319555{(n % 9000) + 1000:04d}",
                                  call_sid=f"CA{uuid.uuid4().hex}")  # fmt: skip
        # Everyone calls about the same outage and joins it, as in a campus-wide failure.
        simulator.play(scripted((*FULL_CANVAS_CALL[:2], "press 1", *FULL_CANVAS_CALL[2:])))
        if sms_every and n % sms_every == 0:
            sms = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+13195550101", "Body": "LIST"}
            from twilio.request_validator import RequestValidator

            url = f"{base}/sms/inbound"
            signature = RequestValidator(TOKEN).compute_signature(url, sms)
            recorder.transport(local.session)(url, sms, signature)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        list(pool.map(one_call, range(calls)))
    return recorder, time.perf_counter() - started


def peak_memory_mb(parent: int) -> list[float]:
    """VmHWM (peak resident memory) of each gunicorn worker under `parent`, in MiB (Linux)."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    peaks = []
    for pid in children.read_text().split() if children.exists() else []:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return peaks


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(label: str, recorder: Recorder, seconds: float) -> dict[str, float]:
    every = [t for times in recorder.times.values() for t in times]
    print(f"\n{label}: {len(every)} requests in {seconds:.1f}s = {len(every) / seconds:.0f} req/s, "
          f"errors {recorder.errors}")  # fmt: skip
    print(f"  {'webhook':28} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, times in sorted(recorder.times.items()):
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        p99 = percentile(times, 0.99) * 1000
        print(f"  {kind:28} {len(times):6} {p50:8.1f} {p95:8.1f} {p99:8.1f}")
    return {"rps": len(every) / seconds, "p50": statistics.median(every),
            "p95": percentile(every, 0.95), "p99": percentile(every, 0.99),
            "errors": recorder.errors}  # fmt: skip


def prepare(database: str, workdir: Path) -> str:
    if database == "postgres":
        return fresh_database()
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sms-every", type=int, default=5, help="an SMS reply every N calls")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    url = prepare(args.database, workdir)
    env = {**os.environ, "DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN, "LOG_LEVEL": "WARNING",
           "PUBLIC_BASE_URL": "http://127.0.0.1", "SMS_BACKEND": "console",
           "VOICEMAIL_SPOOL_DIR": str(workdir / "spool")}  # fmt: skip
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo", "load"], cwd=ROOT,
                   env=env, check=True, capture_output=True)  # fmt: skip

    floor, floor_base = serve("bench.floor_app:create_app()", env, args.workers, args.threads)
    try:
        floor_recorder, floor_seconds = storm(floor_base, args.callers, args.calls, 0)
    finally:
        floor.terminate()
        floor.wait()
    log = workdir / "line.log"
    log_file = log.open("w")
    # The line signs its checks against PUBLIC_BASE_URL: give it the URL the driver calls.
    port = free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    line = subprocess.Popen([str(GUNICORN), "app:create_app()", "-b", f"127.0.0.1:{port}", "-k",
                             "gthread", "-w", str(args.workers), "--threads", str(args.threads),
                             "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log_file)  # fmt: skip
    base = env["PUBLIC_BASE_URL"]
    for _ in range(300):
        try:
            requests.get(f"{base}/healthz", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)
    try:
        line_recorder, line_seconds = storm(base, args.callers, args.calls, args.sms_every)
        peaks = peak_memory_mb(line.pid)
    finally:
        line.terminate()
        line.wait()
        log_file.close()

    print(f"{args.callers} concurrent callers, {args.calls} calls, gunicorn gthread "
          f"{args.workers}x{args.threads}, {args.database}, {os.cpu_count()} cores")  # fmt: skip
    floor_figures = report("floor (static TwiML)", floor_recorder, floor_seconds)
    line_figures = report(f"the line ({args.database})", line_recorder, line_seconds)
    if peaks:
        print(f"  peak memory of each web process after {args.calls} calls: "
              + ", ".join(f"{mb:.0f} MiB" for mb in peaks))  # fmt: skip
    print("\nratios, line / floor:")
    for key in ("p50", "p95", "p99"):
        print(f"  {key}: {line_figures[key] / floor_figures[key]:.2f}x")
    print(f"  throughput: {line_figures['rps'] / floor_figures['rps']:.2f} of the floor")
    failures = log.read_text().count("Traceback")
    print(f"  server-side exceptions: {failures}" + (f" (see {log})" if failures else ""))
    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
