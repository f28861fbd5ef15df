"""Real servers for tests that race: gunicorn with the deploy settings, signed requests to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

from app.config import PROJECT_ROOT
from tests.support import AUTH_TOKEN


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(
    env: dict[str, str], log: Path, port: int, answering: int = 1, host: str = "127.0.0.1"
) -> Iterator[str]:
    """gunicorn -c deploy/gunicorn.conf.py with `env`, until it has answered /healthz
    `answering` times in a row (every worker process booted); yields its base URL."""
    base = f"http://127.0.0.1:{port}"
    gunicorn_bin = Path(sys.executable).parent / "gunicorn"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [str(gunicorn_bin), "-c", "deploy/gunicorn.conf.py"],
            cwd=PROJECT_ROOT,
            env={**env, "BIND": f"{host}:{port}"},
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            deadline = time.monotonic() + 60
            healthy = 0
            while healthy < answering:  # the workers are still importing the app at first
                try:
                    requests.get(f"{base}/healthz", timeout=1).raise_for_status()
                    healthy += 1
                except requests.RequestException:
                    healthy = 0
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


@contextmanager
def gunicorn(
    database_url: str, log: Path, workers: int = 2, threads: int = 4, **settings: str
) -> Iterator[str]:
    """The line served on PostgreSQL, signed with the tests' token; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SMS_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "test-secret-for-the-served-app-0123456789",
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
        # Every thread runs the app at once, so requests overlap inside a process as well as
        # across processes: the deployment's one-at-a-time gate would hide the first kind of
        # race, and the database must hold both.
        "WEB_AT_ONCE": str(threads),
        # The served app runs on the real clock: the test, not the hour it runs at, says the
        # line is after hours (no business hours at all), in the team's zone.
        "TIMEZONE": "America/Chicago",
        "BUSINESS_HOURS": "",
        **settings,
    }
    with serve(env, log, port) as base:
        yield base


def signed_post(base: str, path: str, params: dict[str, str]) -> requests.Response:
    """POST as Twilio would: form-encoded, signed for the public URL."""
    url = f"{base}{path}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
