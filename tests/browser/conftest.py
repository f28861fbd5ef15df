"""The dashboard in a real headless Chromium (Debian's), driven by Playwright, against the app
served over HTTP on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.adapters.gateways import ConsoleGateway
from tests.accounts import PASSWORD, make_accounts
from tests.conftest import _seed
from tests.paging_support import run_worker

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def static_read_whole(app: Flask) -> Any:
    """`app`, with static files read whole before they are written. werkzeug's development
    server leaves a response's file open when the browser drops the connection halfway (it
    navigates on while a script loads), and the warning at collection fails whichever test
    runs then. Everything else, the live updates' stream among it, is passed on as it comes."""

    def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = app.wsgi_app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith("/static/"):
            return response
        try:
            return [b"".join(response)]
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return serve


@pytest.fixture
def live(settings, clock) -> Iterator[tuple[Flask, str]]:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = create_app({**settings, "PUBLIC_BASE_URL": base}, clock=clock, gateway=ConsoleGateway())
    _seed(app, clock)
    make_accounts(app, clock)
    run_worker(app, clock)  # a fresh heartbeat: no "worker is down" banner
    server = make_server("127.0.0.1", port, static_read_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, base
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["db"].engine.dispose()


@pytest.fixture
def chromium():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(live, chromium, tmp_path: Path):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 412, "height": 915})  # a phone
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    tab.screenshot(path=str(tmp_path / "last.png"), full_page=True)
    context.close()


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
