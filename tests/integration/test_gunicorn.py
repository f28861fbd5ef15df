"""The deployment guide's way of serving the app: gunicorn with deploy/gunicorn.conf.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from app.config import PROJECT_ROOT


def test_gunicorn_serves_the_app_with_the_shipped_config(migrated_sqlite: Path, tmp_path: Path):
    database = tmp_path / "served.db"
    shutil.copy(migrated_sqlite, database)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "TWILIO_AUTH_TOKEN": "x",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "-c", "deploy/gunicorn.conf.py"]
    server = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # the workers are still importing the app at first
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        unsigned = requests.post(f"http://127.0.0.1:{port}/voice/incoming", timeout=5)
        assert unsigned.status_code == 403
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_bad_setting_stops_gunicorn_at_start_with_one_line(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "TIMEZONE": "Mars/Olympus",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    started = time.monotonic()
    result = subprocess.run(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The master exits (systemd sees a failed service) instead of holding the port while its
    # workers crash over and over.
    assert result.returncode != 0
    assert time.monotonic() - started < 30
    assert "afterhours: Invalid setting — TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr
