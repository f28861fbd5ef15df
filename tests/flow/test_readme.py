"""The README's "Try a call" commands, run as written against a fresh database and a running
server, in two weeks with different people on call: a newcomer's first ten minutes."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.clock import FrozenClock
from app.config import PROJECT_ROOT
from app.models import Incident
from tests.conftest import NIGHT
from tests.servers import free_port
from tests.support import TEST_SETTINGS

SECTION = re.compile(r"^## Try a call without a Twilio account\n(.*?)^## ", re.S | re.M)
COMMAND = re.compile(r"\.venv/bin/flask --app app ((?:[^`\n&]|&(?!&))*)")
WRITTEN_PORT = "http://127.0.0.1:5000"


def readme_commands() -> list[list[str]]:
    section = SECTION.search((PROJECT_ROOT / "README.md").read_text())
    assert section, "the README has no 'Try a call without a Twilio account' section"
    found = []
    for match in COMMAND.finditer(section.group(1)):
        found.append(shlex.split(match.group(1), comments=True))
    return found


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Flask, str]]:
    """The line as `make run` serves it (an empty database the README's commands set up, the
    console gateway), on a port of its own, with its clock in the week under test."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "TWILIO_AUTH_TOKEN": TEST_SETTINGS["TWILIO_AUTH_TOKEN"],
        "SECRET_KEY": TEST_SETTINGS["SECRET_KEY"],
        "DATABASE_URL": f"sqlite:///{tmp_path / 'afterhours.db'}",
        "VOICEMAIL_SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_BASE_URL": base,
    }
    clock = FrozenClock(NIGHT + dt.timedelta(weeks=request.param))
    app = create_app(settings, clock=clock)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base
    finally:
        server.shutdown()
        app.extensions["db"].engine.dispose()


@pytest.mark.parametrize("served", [0, 1], ids=["this-week", "next-week"], indirect=True)
def test_every_command_in_the_readme_runs_as_written(served, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, base = served
    monkeypatch.chdir(PROJECT_ROOT)  # the scripts' paths are the checkout's
    runner = app.test_cli_runner()
    commands = readme_commands()
    assert (
        commands[:2] == [["db", "upgrade"], ["demo", "load"]]
        and ["sms", "send", "--from", "on-call", "1a"] in commands
    )
    outputs = []
    for words in commands:
        args = [base if word == WRITTEN_PORT else word for word in words]
        # The interactive player gets an empty line (silence) for every question.
        result = runner.invoke(args=args, input="\n" * 40)
        assert result.exit_code == 0, f"{shlex.join(words)}:\n{result.output}"
        outputs.append(result.output)
    said = "\n".join(outputs)
    assert "Your reference is A, H, 1, 0, 0, 1." in said
    assert "caller: say vpn" in said
    assert re.search(r"reply: AH-1001 acknowledged at \d\d:\d\d CST", said), said
    assert "reply: AH-1001 marked resolved at" in said, said
    with app.extensions["db"].sessionmaker() as session:
        first = session.scalar(select(Incident).order_by(Incident.id))
        assert first is not None and first.state == "resolved"


@pytest.mark.parametrize("served", [0], indirect=True)
def test_the_console_names_who_each_page_is_for(served, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, base = served
    monkeypatch.chdir(PROJECT_ROOT)
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "load"]):
        assert runner.invoke(args=args).exit_code == 0
    played = runner.invoke(
        args=["call", "play", "--url", base, "--script", "demo/calls/canvas-outage.txt"]
    )
    assert played.exit_code == 0, played.output
    worker = runner.invoke(args=["worker", "--once"])
    assert worker.exit_code == 0, worker.output
    printed = worker.output
    assert "[console SMS to Pat Lee +13195550101] AH-1001 P1 CAS Canvas" in printed
    assert "[console SMS to +13195550100] AH-1001: we received your report" in printed


@pytest.mark.parametrize("served", [0], indirect=True)
def test_a_wrong_address_or_no_server_is_said_plainly(served, caplog) -> None:  # type: ignore[no-untyped-def]
    app, base = served
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    # The server checks signatures for its own address; the player signed for another one.
    other = base.replace("127.0.0.1", "localhost")
    refused = runner.invoke(args=["call", "play", "--url", other, "--answer", "press 1"])
    assert refused.exit_code == 1
    assert f"the server at {other} refused the signature" in refused.output
    assert f"(checked for {base})" in caplog.text
    nobody = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(args=["sms", "send", "--from", "+13195550101", "--url", nobody, "LIST"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: nothing answers at {nobody}: start the line first (make run), or check --url\n"
    )
    assert "Traceback" not in result.output
