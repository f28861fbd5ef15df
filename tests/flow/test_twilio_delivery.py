"""Sending through the real Twilio client, its HTTP intercepted with `responses`."""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter

import pytest
import requests
import responses

from app.adapters.gateways import TwilioGateway
from app.context import runtime
from app.models import Notification
from app.paging.delivery import claim_due
from tests.paging_support import PAT, notifications, paged, report_outage, run_worker, the_incident
from tests.support import CALLER, PUBLIC, TEST_SETTINGS, TwilioClient
from tests.twilio_fake import FakeTwilio

SID = str(TEST_SETTINGS["TWILIO_ACCOUNT_SID"])
API = f"https://api.twilio.com/2010-04-01/Accounts/{SID}"
MESSAGES = f"{API}/Messages.json"
CALLS = f"{API}/Calls.json"
LINE = "+13195550000"


@pytest.fixture
def gateway() -> TwilioGateway:
    return TwilioGateway(SID, str(TEST_SETTINGS["TWILIO_AUTH_TOKEN"]), LINE)


@pytest.fixture
def twilio_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


REFUSED = "Max retries exceeded (Caused by NewConnectionError('[Errno 111] Connection refused'))"


def message(sid: str, to: str, status: int = 201) -> responses.Response:
    body = {
        "sid": sid,
        "account_sid": SID,
        "to": to,
        "from": LINE,
        "status": "queued",
        "body": "",
        "num_segments": "1",
    }
    return responses.Response("POST", MESSAGES, json=body, status=status)


def error(url: str, status: int, code: int, text: str) -> responses.Response:
    body = {"code": code, "message": text, "more_info": "", "status": status}
    return responses.Response("POST", url, json=body, status=status)


def form(call: responses.Call) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(call.request.body))


def test_pages_and_texts_go_through_messages_create(app, clock, twilio, twilio_api):
    twilio_api.add(message("SM-page", PAT))
    twilio_api.add(message("SM-caller", CALLER))
    report_outage(twilio)
    assert run_worker(app, clock).sent == 2
    page, caller = (form(call) for call in twilio_api.calls)
    assert page["To"] == PAT and page["From"] == LINE
    # Per row, so a callback can settle a send whose own answer was lost.
    assert page["StatusCallback"] == f"{PUBLIC}/sms/status?n=1"
    assert page["Body"].startswith("AH-1001 P1 CAS Canvas:")
    assert caller["To"] == CALLER
    auth = twilio_api.calls[0].request.headers["Authorization"]
    assert auth.startswith("Basic ")


@pytest.mark.parametrize(
    "failure",
    [
        error(MESSAGES, 429, 20429, "Too Many Requests"),
        error(MESSAGES, 500, 20500, "Internal Server Error"),
        error(MESSAGES, 503, 20503, "Service Unavailable"),
        responses.Response("POST", MESSAGES, body=requests.exceptions.ConnectTimeout("slow")),
        responses.Response("POST", MESSAGES, body=requests.exceptions.ConnectionError(REFUSED)),
        error(MESSAGES, 401, 20003, "Authenticate"),
    ],
    ids=["429", "500", "503", "connect-timeout", "refused", "bad-token"],
)
def test_transient_errors_are_retried_with_backoff(
    app, clock, twilio, session, twilio_api, failure
):
    twilio_api.add(failure)
    twilio_api.add(message("SM-caller", CALLER))
    twilio_api.add(message("SM-page", PAT))
    report_outage(twilio)
    run_worker(app, clock)
    [page] = notifications(session, "page")
    assert (page.status, page.attempts) == ("queued", 1)
    assert (page.due_at - clock.now()).total_seconds() == 5
    retry = [e for e in the_incident(session).events if e.kind == "send-retry"]
    assert "retry 1 in 5s" in retry[0].detail
    clock.advance(seconds=4)
    run_worker(app, clock)
    assert notifications(session, "page")[0].status == "queued"
    clock.advance(seconds=1)
    run_worker(app, clock)
    page = notifications(session, "page")[0]
    assert (page.status, page.provider_sid, page.attempts) == ("sent", "SM-page", 2)


def test_a_gateway_outage_holds_the_chain_and_tells_the_leads(
    app, clock, twilio, client, session, twilio_api
):
    """Twilio refusing every send is not Pat's fault: nothing fails over, no step is burnt while
    it lasts, the leads hear by e-mail within two minutes, and the chain resumes after."""
    fake = FakeTwilio(clock, decide=lambda _params: (503, 20503))
    fake.install(twilio_api)
    report_outage(twilio)
    for _ in range(20):  # 20 minutes of outage, a worker pass every minute
        run_worker(app, clock)
        clock.advance(minutes=1)
    assert paged(session) == [("Pat", "sms", "queued")]  # not failed over, not lost
    kinds = [e.kind for e in the_incident(session).events]
    assert "escalation-held" in kinds and "failover" not in kinds
    alerts = [m for m in runtime(app).mailer.sent if "gateway is failing" in m[1]]
    assert [to for to, _, _ in alerts] == ["jordan@example.edu", "morgan@example.edu"]
    assert "AH-1001 Canvas" in alerts[0][2]
    run_worker(app, clock)
    ready = client.get("/readyz").get_json()
    # Anyone may ask whether it is ready; what the gateway answered is for the monitoring.
    assert ready["status"] == "degraded" and ready["gateway"] == "failing"
    auth = {"Authorization": "Bearer metrics-token-for-tests"}
    assert "503" in client.get("/readyz", headers=auth).get_json()["gateway"]
    metrics = client.get("/metrics", headers=auth).get_data(as_text=True)
    assert 'afterhours_outbox_failing_seconds{system="sms-and-voice"} 1200.0' in metrics
    fake.decide = lambda _params: "ok"
    clock.advance(minutes=5)
    run_worker(app, clock)
    assert paged(session) == [("Pat", "sms", "sent")]
    assert any("answering again" in subject for _, subject, _ in runtime(app).mailer.sent)
    # Held, not burnt: the chain stood still for the 25 minutes the gateway was down, so the
    # 15-minute reminder comes at minute 40.
    clock.advance(minutes=14)
    run_worker(app, clock)
    assert len(paged(session)) == 1
    clock.advance(minutes=1)
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat", "Pat"]


def test_fifty_sends_whose_answer_was_lost_reach_each_phone_once(
    app, clock, twilio, session, twilio_api
):
    """Twilio took each message but the answer never came back (a read timeout): the row is
    looked up before it is sent again, so nobody gets two texts and every row says "sent"."""
    fake = FakeTwilio(clock)
    fake.install(twilio_api)
    report_outage(twilio)
    run_worker(app, clock)
    first_time = {n for n in range(50)}
    fake.decide = lambda params: (
        "accepted-then-timeout" if params.get("Body", "").startswith("drill") else "ok"
    )
    with app.app_context(), app.extensions["db"].begin() as db:
        for n in first_time:
            db.add(
                Notification(
                    kind="notice",
                    channel="sms",
                    to_number=f"+1319555{6000 + n:04d}",
                    body=f"drill {n}",
                    due_at=clock.now(),
                    created_at=clock.now(),
                )
            )
    run_worker(app, clock)
    clock.advance(seconds=10)
    run_worker(app, clock)
    drills = [n for n in notifications(session, "notice") if n.body.startswith("drill")]
    assert {n.status for n in drills} == {"sent"}
    taken = Counter(item["to"] for item in fake.accepted if item["body"].startswith("drill"))
    assert len(taken) == 50 and set(taken.values()) == {1}
    assert {n.provider_sid for n in drills} == {
        item["sid"] for item in fake.accepted if item["body"].startswith("drill")
    }


def test_a_status_callback_settles_a_send_whose_answer_was_lost(
    app, clock, twilio, session, twilio_api
):
    fake = FakeTwilio(
        clock, decide=lambda params: "accepted-then-timeout" if params["To"] == PAT else "ok"
    )
    fake.install(twilio_api)
    report_outage(twilio)
    run_worker(app, clock)
    [page] = notifications(session, "page")
    assert page.status == "queued" and page.outcome_unknown_since is not None
    [taken] = fake.taken_by(PAT)
    response = twilio.post(
        f"/sms/status?n={page.id}", {"MessageSid": taken["sid"], "MessageStatus": "sent"}
    )
    assert response.status_code == 204
    clock.advance(seconds=10)
    run_worker(app, clock)
    [page] = notifications(session, "page")
    assert (page.status, page.provider_sid) == ("sent", taken["sid"])
    assert len(fake.taken_by(PAT)) == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [(21610, "opted out"), (21211, "invalid 'To' number"), (21614, "not a mobile number")],
)
def test_permanent_errors_fail_over_at_once(app, clock, twilio, session, twilio_api, code, reason):
    twilio_api.add(error(MESSAGES, 400, code, "refused"))
    twilio_api.add(message("SM-caller", CALLER))
    twilio_api.add(responses.Response("POST", CALLS, json={"sid": "CA-page", "status": "queued"}))
    report_outage(twilio)
    run_worker(app, clock)
    assert paged(session) == [("Pat", "sms", "failed"), ("Pat", "voice", "sent")]
    assert reason in notifications(session, "page")[0].last_error
    kinds = [e.kind for e in the_incident(session).events]
    assert "send-failed" in kinds and "failover" in kinds


def test_a_call_that_cannot_be_placed_moves_to_the_next_step(
    app, clock, twilio, session, twilio_api
):
    twilio_api.add(error(MESSAGES, 400, 21610, "unsubscribed"))
    twilio_api.add(message("SM-caller", CALLER))
    twilio_api.add(error(CALLS, 400, 13224, "invalid number"))
    twilio_api.add(message("SM-step2", PAT))
    report_outage(twilio)
    run_worker(app, clock)
    # SMS failed, the call failed, so the 15-minute step came forward.
    assert [(who, channel) for who, channel, _ in paged(session)] == [
        ("Pat", "sms"),
        ("Pat", "voice"),
        ("Pat", "sms"),
    ]
    assert clock.now() == the_incident(session).created_at


class TestDeliveryCallbacks:
    def _sent(self, app, clock, twilio, twilio_api):
        twilio_api.add(message("SM-page", PAT))
        twilio_api.add(message("SM-caller", CALLER))
        report_outage(twilio)
        run_worker(app, clock)

    def _status(self, twilio: TwilioClient, sid: str, status: str, **extra: str) -> None:
        response = twilio.post("/sms/status", {"MessageSid": sid, "MessageStatus": status, **extra})
        assert response.status_code == 204

    def test_delivered_is_recorded_once(self, app, clock, twilio, session, twilio_api):
        self._sent(app, clock, twilio, twilio_api)
        for status in ("sent", "delivered", "delivered"):
            self._status(twilio, "SM-page", status)
        page = notifications(session, "page")[0]
        assert (page.status, page.provider_status) == ("delivered", "delivered")
        kinds = [e.kind for e in the_incident(session).events]
        assert kinds.count("page-delivered") == 1

    def test_out_of_order_callbacks_never_move_backwards(
        self, app, clock, twilio, session, twilio_api
    ):
        self._sent(app, clock, twilio, twilio_api)
        self._status(twilio, "SM-page", "delivered")
        self._status(twilio, "SM-page", "sent")
        self._status(twilio, "SM-page", "queued")
        assert notifications(session, "page")[0].provider_status == "delivered"

    def test_undelivered_fails_over_to_a_call_once(self, app, clock, twilio, session, twilio_api):
        self._sent(app, clock, twilio, twilio_api)
        twilio_api.add(responses.Response("POST", CALLS, json={"sid": "CA-1", "status": "queued"}))
        for _ in range(2):
            self._status(twilio, "SM-page", "undelivered", ErrorCode="30003")
        run_worker(app, clock)
        assert paged(session) == [("Pat", "sms", "failed"), ("Pat", "voice", "sent")]
        assert "carrier reported undelivered (error 30003)" in (
            notifications(session, "page")[0].last_error
        )

    def test_a_late_failure_after_delivery_is_noted_not_failed_over(
        self, app, clock, twilio, session, twilio_api
    ):
        self._sent(app, clock, twilio, twilio_api)
        self._status(twilio, "SM-page", "delivered")
        self._status(twilio, "SM-page", "undelivered", ErrorCode="30003")
        run_worker(app, clock)
        assert paged(session) == [("Pat", "sms", "delivered")]
        late = [e for e in the_incident(session).events if e.kind == "late-report"]
        assert len(late) == 1 and "kept as delivered" in late[0].detail

    def test_status_for_an_unknown_message_is_harmless(self, twilio):
        self._status(twilio, "SM-nobody", "delivered")

    def test_status_callbacks_need_a_signature(self, twilio):
        response = twilio.post("/sms/status", {"MessageSid": "SM-x"}, signed=False)
        assert response.status_code == 403


def test_twilio_error_bodies_are_parsed_by_the_official_client(gateway, twilio_api):
    twilio_api.add(error(MESSAGES, 400, 21610, "Attempt to send to unsubscribed recipient"))
    from app.adapters.gateways import PermanentSendError

    with pytest.raises(PermanentSendError) as failure:
        gateway.send_sms(PAT, "hi", None)
    assert failure.value.code == 21610
    assert json.loads(twilio_api.calls[0].response.text)["code"] == 21610


def test_a_worker_dying_after_twilio_took_the_page_does_not_send_it_twice(
    app, clock, twilio, session, twilio_api
):
    fake = FakeTwilio(clock)
    fake.install(twilio_api)
    report_outage(twilio)
    gateway = TwilioGateway(SID, str(TEST_SETTINGS["TWILIO_AUTH_TOKEN"]), LINE)
    with app.extensions["db"].sessionmaker() as doomed:
        claimed = claim_due(doomed, clock.now())
        page = next(n for n in claimed if n.kind == "page")
        gateway.send_sms(page.to_number, page.body, None)  # Twilio took it; then the worker died
    clock.advance(seconds=21)  # the dead worker's claim runs out
    run_worker(app, clock)
    [page] = notifications(session, "page")
    assert page.status == "sent"
    assert len(fake.taken_by(PAT)) == 1
    assert page.provider_sid == fake.taken_by(PAT)[0]["sid"]
