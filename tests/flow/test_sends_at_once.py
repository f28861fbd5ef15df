"""The worker has several sends at the gateway at once (Twilio takes a few hundred ms to answer
each), through the real Twilio client, its HTTP intercepted with `responses`."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import responses
from sqlalchemy import select

from app.adapters.gateways import TwilioGateway
from app.models import Notification, NotificationChannel, NotificationKind
from app.paging import notify
from tests.paging_support import queue_receipts, run_worker
from tests.support import TEST_SETTINGS
from tests.twilio_fake import LINE, SID, FakeTwilio

AT_ONCE = 4
WAIT = 10  # seconds a held send waits for the others before the test fails


@pytest.fixture
def settings(settings: dict[str, object]) -> dict[str, object]:
    return {**settings, "GATEWAY_SENDS_AT_ONCE": AT_ONCE}


@pytest.fixture
def gateway() -> TwilioGateway:
    return TwilioGateway(SID, str(TEST_SETTINGS["TWILIO_AUTH_TOKEN"]), LINE)


@pytest.fixture
def fake(clock) -> Iterator[FakeTwilio]:  # type: ignore[no-untyped-def]
    fake = FakeTwilio(clock)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


def sent_rows(app) -> dict[str, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with app.extensions["db"].sessionmaker() as session:
        rows = session.execute(
            select(Notification.to_number, Notification.status, Notification.provider_sid)
        ).all()
    return {to: (status, sid) for to, status, sid in rows}


def test_texts_to_different_people_are_at_the_gateway_together(app, clock, fake):
    # Each send waits at the gateway until AT_ONCE of them are there: one at a time, the first
    # would wait for ever (and the test fail after WAIT seconds).
    together = threading.Barrier(AT_ONCE, timeout=WAIT)
    threads: set[int] = set()

    def hold(_params: dict[str, str]) -> str:
        threads.add(threading.get_ident())
        together.wait()
        return "ok"

    fake.decide = hold
    queue_receipts(app, clock.now(), 2 * AT_ONCE)
    assert run_worker(app, clock).sent == 2 * AT_ONCE
    assert len(threads) == AT_ONCE
    # Each answer is recorded on its own row, whichever came back first.
    given = {item["to"]: item["sid"] for item in fake.accepted}
    assert sent_rows(app) == {to: ("sent", sid) for to, sid in given.items()}
    assert len(given) == 2 * AT_ONCE


def test_one_persons_texts_go_one_after_another_in_order(app, clock, fake):
    # The first text to Robin is held until the three other people's texts have reached the
    # gateway: they go beside it, while Robin's next two wait for it.
    robin = "+13195550177"
    others_arrived = threading.Semaphore(0)
    at_gateway: Counter[str] = Counter()
    most = Counter[str]()
    order: list[str] = []
    lock = threading.Lock()

    def gateway_sees(params: dict[str, str]) -> str:
        to = params["To"]
        with lock:
            at_gateway[to] += 1
            most[to] = max(most[to], at_gateway[to])
            order.append(params["Body"])
        if params["Body"] == "first":
            for _ in range(3):
                assert others_arrived.acquire(timeout=WAIT), "the others never came"
        elif to != robin:
            others_arrived.release()
        with lock:
            at_gateway[to] -= 1
        return "ok"

    fake.decide = gateway_sees
    with app.extensions["db"].sessionmaker() as session:
        for body in ("first", "second", "third"):
            notify.queue(
                session,
                clock.now(),
                kind=NotificationKind.CALLER,
                channel=NotificationChannel.SMS,
                to=robin,
                body=body,
            )
        session.commit()
    queue_receipts(app, clock.now(), 3)
    assert run_worker(app, clock).sent == 6
    robins = [item["body"] for item in fake.accepted if item["to"] == robin]
    assert robins == ["first", "second", "third"]
    assert most[robin] == 1
    assert order.index("second") > order.index("receipt 2")
    assert {status for status, _ in sent_rows(app).values()} == {"sent"}


def test_a_send_that_fails_is_retried_while_the_others_go(app, clock, fake):
    fake.decide = lambda params: (503, 20503) if params["To"] == "+13195550202" else "ok"
    queue_receipts(app, clock.now(), 6)
    assert run_worker(app, clock).sent == 6
    rows = sent_rows(app)
    assert rows.pop("+13195550202")[0] == "queued"  # due again by the messages' policy
    assert {status for status, _ in rows.values()} == {"sent"}
    assert fake.outcomes == Counter({"ok": 5, "(503, 20503)": 1})


def test_each_thread_sends_with_a_client_of_its_own(gateway):
    # The official client's requests session is not made to be shared between threads.
    mine = gateway.client
    assert gateway.client is mine
    theirs: list[object] = []
    other = threading.Thread(target=lambda: theirs.append(gateway.client))
    other.start()
    other.join()
    assert theirs[0] is not mine
