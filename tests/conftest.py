"""Fixtures: a fresh, migrated database per test, a frozen clock, and a signed 'Twilio'."""

from __future__ import annotations

import datetime as dt
import email
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import create_app
from app.adapters.gateways import ConsoleGateway, Gateway
from app.adapters.migrate import ensure_postgres_database, rebuild_postgres, upgrade
from app.clock import FrozenClock
from app.db import get_db, make_engine
from app.incidents.catalog import parse_catalog, upsert_services
from app.models import Base
from app.paging.roster import load_roster, parse_roster
from tests.support import DEMO_CATALOG, TEST_ROSTER, TEST_SETTINGS, TwilioClient

CHICAGO = ZoneInfo("America/Chicago")


def pytest_configure(config: pytest.Config) -> None:
    """`TEST_CALENDAR_SHIFT_DAYS=7 make test` runs the suite as if it were a week later: the wall
    clock of this process and of every Python process it starts moves (time-machine, and
    tests/calendar_shift/sitecustomize.py for the others); monotonic clocks and timed waits do
    not. PostgreSQL and Request Tracker keep the real date."""
    days = os.environ.get("TEST_CALENDAR_SHIFT_DAYS")
    if days:
        import time_machine

        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=float(days))
        time_machine.travel(later, tick=True).start()
        shift = str(Path(__file__).resolve().parent / "calendar_shift")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [shift, os.environ.get("PYTHONPATH")])
        )


# A Saturday at two in the morning: after hours.
NIGHT = dt.datetime(2026, 11, 28, 2, 0, tzinfo=CHICAGO)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the real migrations once; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    path = tmp_path / "test.db"
    shutil.copy(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NIGHT)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> dict[str, object]:
    return {
        **TEST_SETTINGS,
        "DATABASE_URL": database_url,
        "VOICEMAIL_SPOOL_DIR": str(tmp_path / "voicemail-spool"),
    }


class Inbox:
    """An SMTP server's mailbox (aiosmtpd): every message it took."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def gateway() -> ConsoleGateway:
    return ConsoleGateway()


def _seed(application: Flask, clock: FrozenClock) -> None:
    with application.app_context(), get_db().begin() as session:
        load_roster(session, clock.now(), parse_roster(TEST_ROSTER), "America/Chicago")
        upsert_services(session, parse_catalog(DEMO_CATALOG).services)


@pytest.fixture
def app(settings: dict[str, object], clock: FrozenClock, gateway: Gateway) -> Iterator[Flask]:
    application = create_app(settings, clock=clock, gateway=gateway)
    _seed(application, clock)
    yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def twilio(app: Flask) -> TwilioClient:
    return TwilioClient(app)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session of the test's own, outside any app context (requests get theirs)."""
    db_session = app.extensions["db"].sessionmaker()
    yield db_session
    db_session.close()


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.fail("TEST_DATABASE_URL is not set; `make test-postgres` sets it")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    ensure_postgres_database(url)
    rebuild_postgres(url)
    return url


@pytest.fixture
def pg_app(postgres_url: str, clock: FrozenClock) -> Iterator[Flask]:
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    application = create_app(
        {**TEST_SETTINGS, "DATABASE_URL": postgres_url}, clock=clock, gateway=ConsoleGateway()
    )
    _seed(application, clock)
    yield application
    application.extensions["db"].engine.dispose()
