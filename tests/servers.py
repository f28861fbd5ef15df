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
def gunicorn(
    database_url: str, log: Path, workers: int = 2, threads: int = 4, **settings: str
) -> Iterator[str]:
    """gunicorn -c deploy/gunicorn.conf.py on a free port; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": base,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SMS_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "test-secret-for-the-served-app-0123456789",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "WEB_THREADS": str(threads),
        **settings,
    }
    gunicorn_bin = Path(sys.executable).parent / "gunicorn"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [str(gunicorn_bin), "-c", "deploy/gunicorn.conf.py"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            deadline = time.monotonic() + 30
            while True:  # the workers are still importing the app at first
                try:
                    requests.get(f"{base}/healthz", timeout=5)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


def signed_post(base: str, path: str, params: dict[str, str]) -> requests.Response:
    """POST as Twilio would: form-encoded, signed for the public URL."""
    url = f"{base}{path}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
