"""News from the ticketing system is signed, stamped and numbered: a captured request sent
again, or one sent long ago, changes nothing, and a body the line cannot read is a 400."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy import select

from app import create_app
from app.adapters.gateways import ConsoleGateway
from app.models import IncidentState
from app.tickets import signing
from tests.conftest import _seed
from tests.paging_support import PAT, report_outage, text, the_incident
from tests.support import CALLER, TEST_SETTINGS, TwilioClient

SECRET = "inbound-secret-0123456789"
TOKEN = "inbound-token-0123456789"


@pytest.fixture
def settings(settings: dict[str, object]) -> dict[str, object]:
    return {**settings, "TICKETS_INBOUND_SECRET": SECRET, "TICKETS_INBOUND_TOKEN": TOKEN}


def signed(clock, **fields: object) -> tuple[bytes, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A body as the RT scrip sends it, and its headers."""
    body = {
        "reference": "AH-1001",
        "status": "resolved",
        "by": "Pat Lee",
        "delivery": uuid.uuid4().hex,
        "sent_at": int(clock.now().timestamp()),
        **fields,
    }
    raw = json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", signing.HEADER: signing.sign(SECRET, raw)}


def test_a_captured_resolution_replayed_after_the_caller_said_broken_changes_nothing(
    clock, twilio, client, session
):
    report_outage(twilio)
    text(twilio, PAT, "1a")
    raw, headers = signed(clock)
    assert client.post("/tickets/events", data=raw, headers=headers).status_code == 200
    assert the_incident(session).state == IncidentState.RESOLVED
    clock.advance(minutes=2)
    assert "still" in (text(twilio, CALLER, "BROKEN") or "").lower()
    assert the_incident(session).state == IncidentState.OPEN  # reopened, to be acknowledged
    replayed = client.post("/tickets/events", data=raw, headers=headers)
    assert replayed.status_code == 409
    assert "was received before" in replayed.get_json()["error"]
    incident = the_incident(session)
    assert incident.state == IncidentState.OPEN
    assert [e.kind for e in incident.events].count("resolved") == 1


def test_news_sent_long_ago_or_from_the_future_is_refused(clock, twilio, client, session):
    report_outage(twilio)
    text(twilio, PAT, "1a")
    for offset in (-6 * 60, 6 * 60):
        stamp = int(clock.now().timestamp()) + offset
        raw, headers = signed(clock, sent_at=stamp)
        answer = client.post("/tickets/events", data=raw, headers=headers)
        assert answer.status_code == 400
        assert "360 s from the line's clock" in answer.get_json()["error"]
    assert the_incident(session).state == IncidentState.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"delivery": None}, '"delivery"'),
        ({"sent_at": None}, '"sent_at"'),
        ({"sent_at": "yesterday"}, '"sent_at"'),
        ({"sent_at": 1e308}, '"sent_at"'),
        ({"by": {"name": "Pat"}}, '"by" must be text'),
        ({"ticket": [1, 2]}, '"ticket" must be text'),
    ],
)
def test_news_without_its_stamp_or_with_odd_fields_gets_a_400_that_says_why(
    clock, twilio, client, fields, message
):
    report_outage(twilio)
    body = {k: v for k, v in fields.items() if v is not None}
    raw, headers = signed(clock, **body)
    if None in fields.values():
        parsed = json.loads(raw)
        for name in fields:
            parsed.pop(name)
        raw = json.dumps(parsed).encode()
        headers[signing.HEADER] = signing.sign(SECRET, raw)
    answer = client.post("/tickets/events", data=raw, headers=headers)
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]


def test_json_nested_too_deep_is_a_400_not_a_crash(client):
    raw = b"[" * 50_000 + b"]" * 50_000
    raw = raw[: 60 * 1024]  # under the body limit, still far deeper than any parser goes
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    answer = client.post("/tickets/events", data=raw, headers=headers)
    assert answer.status_code == 400
    assert "JSON object" in answer.get_json()["error"]


@pytest.mark.postgres
def test_one_delivery_sent_twice_at_once_is_taken_once_on_postgres(postgres_url, clock):
    from sqlalchemy import text as sql

    from app.db import make_engine
    from app.models import Base

    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    app = create_app(
        {**TEST_SETTINGS, "DATABASE_URL": postgres_url, "TICKETS_INBOUND_SECRET": SECRET},
        clock=clock,
        gateway=ConsoleGateway(),
    )
    _seed(app, clock)
    twilio = TwilioClient(app)
    report_outage(twilio)
    text(twilio, PAT, "1a")
    raw, headers = signed(clock)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(client.post("/tickets/events", data=raw, headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409, 409, 409]
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        from app.models import IncidentEvent

        kinds = session.scalars(select(IncidentEvent.kind)).all()
        assert kinds.count("resolved") == 1
        session.close()
    app.extensions["db"].engine.dispose()
