"""Two web processes (gunicorn) and two workers, all real processes, on PostgreSQL at once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.adapters.simulator import CallSimulator, scripted
from app.config import PROJECT_ROOT
from app.models import Incident, Notification
from tests.support import AUTH_TOKEN

pytestmark = pytest.mark.postgres
CALLS = 12


def _call(base: str, n: int) -> str:
    def transport(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        response = requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15
        )
        return response.status_code, response.text

    words = f"lab system number {n}"
    answers = [
        f"say {words}",
        f"say {words}",
        "say it is down",
        "say just now",
        "say an hour ago",
        "press 1",  # everyone
        "say me",
        "press 2",  # not a CAS customer
        "press 1",  # the number calling
        "press 1",  # send it
    ]
    simulator = CallSimulator(
        transport, base, AUTH_TOKEN, caller=f"+1319555{5000 + n:04d}", call_sid=f"CA-proc-{n}"
    )
    transcript = simulator.play(scripted(answers))
    assert not transcript.errors, transcript.errors
    return transcript.text


def test_two_web_processes_and_two_workers(pg_app, postgres_url, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "PUBLIC_BASE_URL": base,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SMS_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        # Twelve unknown services from twelve numbers in seconds is what this test sends on
        # purpose: each is its own incident, not a possible flood.
        "LINE_FLOOD_PER_MINUTE": "100",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = tmp_path / "web.log"
    log_file = log.open("w")
    web = subprocess.Popen(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=6) as pool:
            spoken = list(pool.map(lambda n: _call(base, n), range(CALLS)))
        failed = [text for text in spoken if "Your reference is" not in text]
        assert not failed, log.read_text()[-3000:]
        command = [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "worker",
            "--once",
            "--batch",
            "3",
        ]
        workers = [
            subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    finally:
        web.terminate()
        web.wait(timeout=20)
        log_file.close()
    sent = Counter(re.findall(r"\[console SMS to [^\]]+\] (AH-\d+)", "".join(outputs)))
    sessions = pg_app.extensions["db"].sessionmaker
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Incident)) == CALLS
        pages = db.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "page")
        )
    # Every incident's first page and its caller's text, each sent once, by one of the workers.
    assert pages == CALLS
    assert sorted(sent.values()) == [2] * CALLS
