"""A real Request Tracker 5 on loopback (Debian's packages), on its own port with its own copy
of the database, and the line served over HTTP so RT's scrip can reach it."""

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
RT_DATABASE = Path("/var/lib/dbconfig-common/sqlite3/request-tracker5/rtdb")
RT_SETUP = Path("/usr/sbin/rt-setup-database-5")
SCRIP = PROJECT_ROOT / "deploy" / "rt" / "afterhours-scrip.pl"
INSTALL = "apt-get install -y --no-install-recommends request-tracker5 rt5-db-sqlite rt5-standalone"
# Debian's initial RT account.
LOGIN = ("root", "password")


def require_rt() -> None:
    if not (RT_SERVER.exists() and RT_DATABASE.exists()):
        pytest.skip(f"Request Tracker 5 is not installed ({INSTALL})")


class RequestTracker:
    def __init__(self, home: Path, line_url: str, secret: str) -> None:
        require_rt()
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "rt.log"
        self._server: subprocess.Popen[bytes] | None = None
        shutil.copy(RT_DATABASE, home / "rtdb")
        (home / "RT_SiteConfig.d").mkdir(exist_ok=True)
        (home / "RT_SiteConfig.pm").write_text(
            f"""
Set($rtname, 'afterhours-test');
Set($Organization, 'afterhours-test');
Set($Timezone, 'UTC');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{home / "rtdb"}');
Set($WebPath, '');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {self.port});
Set($WebBaseURL, '{self.url}');
Set($MailCommand, 'testfile');
Set($LogToSTDERR, 'info');
Set($LogToFile, undef);
Set($LogToSyslog, undef);
Set($AfterHoursURL, '{line_url}');
Set($AfterHoursSecret, '{secret}');
1;
"""
        )
        self.env = {
            **os.environ,
            "RT_SITE_CONFIG": str(home / "RT_SiteConfig.pm"),
            "RT_SITE_CONFIG_DIR": str(home / "RT_SiteConfig.d"),
        }
        # The scrip exactly as docs/deployment.md installs it.
        subprocess.run(
            [str(RT_SETUP), "--action", "insert", "--skip-create", "--datafile", str(SCRIP)],
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        with self.log.open("ab") as log:
            self._server = subprocess.Popen(
                [str(RT_SERVER), "--port", str(self.port)],
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
