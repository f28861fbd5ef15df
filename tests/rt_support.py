"""A real Request Tracker 5 on loopback (Debian's packages), on its own port with a database of
its own, and the line served over HTTP so RT's scrip can reach it.

The database is never the one Debian's package set up (whatever a machine did with it before
shows there): `rt-setup-database --action init` makes a pristine one once per run, and every
test starts from a copy of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from app.config import PROJECT_ROOT
from tests.servers import free_port

RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_SETUP = Path("/usr/sbin/rt-setup-database-5")
SCRIP = PROJECT_ROOT / "deploy" / "rt" / "afterhours-scrip.pl"
INSTALL = "apt-get install -y --no-install-recommends request-tracker5 rt5-db-sqlite rt5-standalone"
# RT's own initial account, as `--action init` makes it.
LOGIN = ("root", "password")


def require_rt() -> None:
    if not (RT_SERVER.exists() and RT_SETUP.exists()):
        pytest.skip(f"Request Tracker 5 is not installed ({INSTALL})")


def _site_config(home: Path, **settings: str | int) -> dict[str, str]:
    """An RT_SiteConfig.pm in `home` for the database `home/rtdb`; the environment RT's
    commands need to read it."""
    (home / "RT_SiteConfig.d").mkdir(exist_ok=True)
    lines = "".join(f"Set(${name}, {value!r});\n" for name, value in settings.items())
    (home / "RT_SiteConfig.pm").write_text(
        f"""
Set($rtname, 'afterhours-test');
Set($Organization, 'afterhours-test');
Set($Timezone, 'UTC');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{home / "rtdb"}');
Set($LogToSTDERR, 'info');
Set($LogToFile, undef);
Set($LogToSyslog, undef);
{lines}1;
"""
    )
    return {
        **os.environ,
        "RT_SITE_CONFIG": str(home / "RT_SiteConfig.pm"),
        "RT_SITE_CONFIG_DIR": str(home / "RT_SiteConfig.d"),
    }


def pristine_database(home: Path) -> Path:
    """A new RT database with nothing in it but RT's own initial data (about 3 s)."""
    require_rt()
    subprocess.run(
        [str(RT_SETUP), "--action", "init", "--skip-create"],
        env=_site_config(home),
        check=True,
        capture_output=True,
    )
    return home / "rtdb"


class RequestTracker:
    def __init__(self, home: Path, pristine: Path, line_url: str, secret: str) -> None:
        require_rt()
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "rt.log"
        self._server: subprocess.Popen[bytes] | None = None
        shutil.copy(pristine, home / "rtdb")
        self.env = _site_config(
            home,
            WebPath="",
            WebDomain="127.0.0.1",
            WebPort=self.port,
            WebBaseURL=self.url,
            MailCommand="testfile",
            AfterHoursURL=line_url,
            AfterHoursSecret=secret,
        )
        # The scrip exactly as docs/deployment.md installs it.
        subprocess.run(
            [str(RT_SETUP), "--action", "insert", "--skip-create", "--datafile", str(SCRIP)],
            env=self.env,
            check=True,
            capture_output=True,
        )

    def logged(self, line: str, within: float = 30) -> str:
        """RT's log once it holds `line`: RT's scrip may still be writing when a test looks."""
        deadline = time.monotonic() + within
        while line not in (text := self.log.read_text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"RT never logged {line!r}:\n{text[-3000:]}")
            time.sleep(0.1)
        return text

    def start(self) -> None:
        command = [str(RT_SERVER), "--port", str(self.port)]
        days = os.environ.get("TEST_CALENDAR_SHIFT_DAYS")
        if days and shutil.which("faketime"):
            # The suite runs days ahead (tests/conftest.py): RT's scrip signs its callbacks with
            # its own clock, so RT must live in the same week. Perl and libfaketime agree.
            command = ["faketime", "-f", f"+{days}d", *command]
        with self.log.open("ab") as log:
            self._server = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.home,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{self.url}/REST/2.0/queue/1", auth=LOGIN, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self._server.poll() is not None:
                raise RuntimeError(f"RT did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self._server is not None:
            self._server.terminate()
            self._server.wait(timeout=30)
            self._server = None

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, f"{self.url}/REST/2.0/{path}", auth=LOGIN, timeout=30, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.rest("GET", f"ticket/{ticket_id}")
        return found

    def texts(self, ticket_id: str) -> list[str]:
        """The plain-text content of the ticket and every comment, oldest first."""
        found = self.rest(
            "GET",
            f"ticket/{ticket_id}/attachments",
            params={"fields": "Content,ContentType", "per_page": 100},
        )
        return [
            item["Content"]
            for item in found["items"]
            if item["ContentType"] == "text/plain" and item["Content"]
        ]


@contextmanager
def serving(app: Flask, port: int) -> Iterator[str]:
    """The line on a real HTTP port, for RT's scrip to call."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
