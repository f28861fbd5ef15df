"""Test helpers: signed Twilio requests, TwiML reading, and the demo catalog."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, event, text
from twilio.request_validator import RequestValidator

from app.adapters.simulator import Answer, Ask, CallSimulator, Transcript, scripted

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://line.example.org"
CALLER = "+13195550142"
TEST_SETTINGS: dict[str, object] = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "PUBLIC_BASE_URL": PUBLIC,
    "TIMEZONE": "America/Chicago",
    "BUSINESS_HOURS": "mon-fri 08:00-17:00",
    "HOLIDAYS": ["2026-12-25"],
    "BUSINESS_HOURS_DIAL_NUMBER": "+13193840001",
    "HELPDESK_NUMBERS": ["+13193844357"],
    "HELPDESK_PHONE": "319-384-4357",
    "METRICS_TOKEN": "metrics-token-for-tests",
    "API_TOKENS": ["api-token-1", "api-token-2"],
    "SECRET_KEY": "test-secret-0123456789abcdef-0123456789",
    # One send at the gateway at a time, so a test reads what was sent in the order it fell
    # due; tests/flow/test_sends_at_once.py runs several at once.
    "GATEWAY_SENDS_AT_ONCE": 1,
}
TEST_ROSTER = Path(__file__).resolve().parent / "data" / "roster.yaml"
DEMO_CATALOG = Path(__file__).resolve().parent.parent / "demo" / "catalog.yaml"


@dataclass
class TwiML:
    """A parsed TwiML response, read the way a caller experiences it."""

    root: ET.Element

    @classmethod
    def parse(cls, body: str) -> TwiML:
        root = ET.fromstring(body)
        assert root.tag == "Response", body
        return cls(root)

    @property
    def heard(self) -> list[str]:
        return [el.text or "" for el in self.root.iter("Say")]

    @property
    def text(self) -> str:
        return " ".join(self.heard)

    @property
    def verbs(self) -> list[str]:
        return [el.tag for el in self.root]

    def first(self, tag: str) -> ET.Element:
        found = self.root.find(tag)
        assert found is not None, f"no <{tag}> in {self.verbs}"
        return found

    @property
    def gather(self) -> ET.Element:
        return self.first("Gather")

    @property
    def next_url(self) -> str:
        """Where the caller's answer goes next."""
        for el in self.root:
            if el.tag in {"Gather", "Record", "Dial"}:
                return el.get("action", "")
            if el.tag == "Redirect":
                return (el.text or "").strip()
        raise AssertionError(f"the call ends here: {self.verbs}")


class TwilioClient:
    """Posts webhooks signed exactly as Twilio signs them."""

    def __init__(self, app: Flask, token: str = AUTH_TOKEN, public: str = PUBLIC) -> None:
        self.app = app
        self.client = app.test_client()
        self.validator = RequestValidator(token)
        self.public = public

    def post(self, path: str, params: dict[str, str], *, signed: bool = True, **headers: str):  # type: ignore[no-untyped-def]
        if signed:
            headers.setdefault(
                "X-Twilio-Signature", self.validator.compute_signature(self.public + path, params)
            )
        return self.client.post(path, data=params, headers=headers)

    def voice(self, path: str, call_sid: str, caller: str = CALLER, **params: str) -> TwiML:
        response = self.post(path, {"CallSid": call_sid, "From": caller, **params})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return TwiML.parse(response.get_data(as_text=True))

    def call(
        self,
        *answers: str,
        caller: str = CALLER,
        call_sid: str | None = None,
        entry: str = "/voice/incoming",
    ) -> Transcript:
        """A whole call through the simulator, as Twilio would drive it."""
        return self.call_answering(scripted(answers), caller=caller, call_sid=call_sid, entry=entry)

    def call_answering(
        self,
        answer: Callable[[Ask], Answer],
        caller: str = CALLER,
        call_sid: str | None = None,
        entry: str = "/voice/incoming",
    ) -> Transcript:
        """A whole call whose answers come from `answer`, asked at each question."""

        def transport(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
            response = self.client.post(
                url.removeprefix(self.public),
                data=params,
                headers={"X-Twilio-Signature": signature},
            )
            return response.status_code, response.get_data(as_text=True)

        simulator = CallSimulator(
            transport, self.public, AUTH_TOKEN, caller=caller, call_sid=call_sid
        )
        transcript = simulator.play(answer, entry)
        assert not transcript.errors, transcript.errors
        return transcript


FULL_CANVAS_CALL = (
    "say the canvas website",
    "press 1",
    "say students get an error page when they log in",
    "say about ten tonight",
    "say at nine",
    "press 1",
    "say Dana Smith",
    "press 1",
    "press 1",
)


def stateless(url: str) -> str:
    """A turn's URL without where the call stands (app/calls/turn_state.py)."""
    return re.sub(r"&state=[^&]*", "", url)


def sessions_come_to(engine: Engine, where: str, count: int, deadline: float = 10.0) -> bool:
    """Whether, within `deadline` seconds, `count` of this database's sessions match `where`
    in PostgreSQL's own view of them (`pg_stat_activity`). Each look is a transaction of its
    own: within one, the view keeps what it first showed."""
    sessions = text(
        f"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND {where}"
    )
    with engine.connect() as watcher:
        ended = time.monotonic() + deadline
        while time.monotonic() < ended:
            if watcher.scalar(sessions) == count:
                return True
            watcher.rollback()
            time.sleep(0.02)
    return False


@contextmanager
def statements_on(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block, each on one line. On PostgreSQL the
    BEGIN, COMMIT and ROLLBACK the connection sends are in it too, so its length is the number
    of round trips (a BEGIN is put before the statement that left a transaction open)."""
    seen: list[str] = []
    in_transaction: set[int] = set()  # connections whose BEGIN is already in `seen`

    def before(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    def after(conn, *_args):  # type: ignore[no-untyped-def]
        key = id(conn.connection.dbapi_connection)
        if _transaction_status(conn) == "INTRANS" and key not in in_transaction:
            in_transaction.add(key)
            seen.insert(len(seen) - 1, "BEGIN")

    def ending(word: str):  # type: ignore[no-untyped-def]
        def ended(conn, *_args):  # type: ignore[no-untyped-def]
            in_transaction.discard(id(conn.connection.dbapi_connection))
            if _transaction_status(conn) not in (None, "IDLE"):
                seen.append(word)

        return ended

    listeners = [
        ("before_cursor_execute", before),
        ("after_cursor_execute", after),
        ("commit", ending("COMMIT")),
        ("rollback", ending("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def _transaction_status(connection) -> str | None:  # type: ignore[no-untyped-def]
    """psycopg's view of the server's transaction: IDLE, INTRANS, ...; None on SQLite."""
    info = getattr(connection.connection.dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return None if status is None else status.name
