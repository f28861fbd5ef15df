"""The deployment guide's way of serving the app: gunicorn with deploy/gunicorn.conf.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from app import create_app
from app.config import PROJECT_ROOT
from app.users import create_user
from tests.accounts import PASSWORD, csrf_token
from tests.servers import free_port, serve


def _sqlite_env(migrated_sqlite: Path, tmp_path: Path) -> dict[str, str]:
    database = tmp_path / "served.db"
    shutil.copy(migrated_sqlite, database)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TWILIO_AUTH_TOKEN": "x",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEB_CONCURRENCY", None)
    env.pop("WEB_THREADS", None)
    return env


def test_gunicorn_serves_the_app_with_the_shipped_config(migrated_sqlite: Path, tmp_path: Path):
    env = {**_sqlite_env(migrated_sqlite, tmp_path), "WEB_CONCURRENCY": "2"}
    with serve(env, tmp_path / "web.log", free_port()) as base:
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        unsigned = requests.post(f"{base}/voice/incoming", timeout=5)
        assert unsigned.status_code == 403


def test_serving_the_world_without_a_proxy_says_so_at_start(migrated_sqlite: Path, tmp_path: Path):
    env = {**_sqlite_env(migrated_sqlite, tmp_path), "WEB_CONCURRENCY": "1"}
    env.pop("PROXY_HOPS", None)
    log = tmp_path / "open.log"
    with serve(env, log, free_port(), host="0.0.0.0"):
        pass
    assert "with no reverse proxy (PROXY_HOPS=0)" in log.read_text()
    behind = tmp_path / "behind.log"
    with serve({**env, "PROXY_HOPS": "1"}, behind, free_port(), host="0.0.0.0"):
        pass
    assert "reverse proxy" not in behind.read_text()


def test_a_bad_setting_stops_gunicorn_at_start_with_one_line(tmp_path: Path):
    port = free_port()
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


def test_slow_clients_do_not_starve_the_server(migrated_sqlite: Path, tmp_path: Path):
    """16 clients trickling a request a byte at a time, as a slow-loris would: the deploy
    settings keep threads free, and /healthz answers every time. Half of them send whole headers
    and then trickle the body (sized, or chunked): each process runs the app for one request at
    a time, and a body still arriving is read before that, never holding the app up."""
    env = _sqlite_env(migrated_sqlite, tmp_path)
    port = free_port()
    slow: list[socket.socket] = []
    with serve(env, tmp_path / "web.log", port, answering=20) as base:
        try:
            starts = [
                # Headers that never end: the server cannot answer, only wait.
                b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                # A body that never ends, sized or chunked.
                b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nFrom=",
                b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\n400\r\nFrom=",
                b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nX-Slow: ",
            ]
            for n in range(16):
                client = socket.create_connection(("127.0.0.1", port), timeout=5)
                client.sendall(starts[n % len(starts)])
                slow.append(client)
            answered = 0
            for _ in range(10):
                for client in slow:
                    with contextlib.suppress(OSError):
                        client.sendall(b"a")  # a byte each, to keep every one of them busy
                with contextlib.suppress(requests.RequestException):
                    answered += requests.get(f"{base}/healthz", timeout=2).status_code == 200
                time.sleep(0.2)
        finally:
            for client in slow:
                client.close()
    assert answered == 10


def test_live_updates_behind_gunicorn(migrated_sqlite: Path, tmp_path: Path):
    env = {**_sqlite_env(migrated_sqlite, tmp_path), "WEB_CONCURRENCY": "2"}
    line = create_app({"DATABASE_URL": env["DATABASE_URL"], "TWILIO_AUTH_TOKEN": "x"})
    with line.app_context(), line.extensions["db"].begin() as session:
        create_user(session, dt.datetime.now(dt.UTC), "hana", "Hana Desk", "helpdesk", PASSWORD)
    line.extensions["db"].engine.dispose()
    with serve(env, tmp_path / "web.log", free_port(), answering=2) as base:
        browser = requests.Session()
        login = browser.get(f"{base}/login", timeout=5).text
        browser.post(
            f"{base}/login",
            data={"username": "hana", "password": PASSWORD, "csrf_token": csrf_token(login)},
            timeout=5,
        )
        script = browser.get(f"{base}/static/live.js", timeout=5)
        assert script.status_code == 200 and "data-live" in script.text
        first = browser.get(f"{base}/live/incidents", timeout=5)
        assert first.status_code == 200 and first.headers["ETag"]
        # Either process answers the same version: nothing changed, nothing is sent.
        for _ in range(4):
            again = browser.get(
                f"{base}/live/incidents",
                headers={"If-None-Match": first.headers["ETag"]},
                timeout=5,
            )
            assert again.status_code == 304 and again.content == b""
