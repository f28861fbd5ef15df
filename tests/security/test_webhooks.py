"""Bad input and attacks on the Twilio-facing routes: every signature case on every route,
property-based fuzzing of every webhook's parameters, and SMS floods."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import create_app
from app.models import InboundMessage
from tests.paging_support import PAT, report_outage, run_worker, text, the_incident
from tests.support import AUTH_TOKEN, PUBLIC, TwilioClient

# Every route Twilio calls, with the parameters it sends.
ROUTES = [
    ("/voice/incoming", {"CallSid": "CA1", "From": "+13195550142"}),
    ("/voice/staff", {"CallSid": "CA2", "From": "+13193844357"}),
    ("/voice/answer/service?turn=1", {"CallSid": "CA1", "SpeechResult": "canvas"}),
    ("/voice/status", {"CallSid": "CA1", "CallStatus": "completed"}),
    ("/voice/fallback", {"CallSid": "CA3", "From": "+13195550142"}),
    ("/voice/fallback/number", {"CallSid": "CA3", "Digits": "3195550142"}),
    ("/voice/fallback/recorded", {"CallSid": "CA3", "RecordingUrl": "https://x/RE1"}),
    ("/voice/page/1", {"CallSid": "CA4", "AnsweredBy": "human"}),
    ("/voice/page/1/answer", {"CallSid": "CA4", "Digits": "2"}),
    ("/voice/page/1/status", {"CallSid": "CA4", "CallStatus": "ringing"}),
    ("/voice/bridge/1", {"CallSid": "CA5", "AnsweredBy": "human"}),
    ("/voice/bridge/1/done", {"CallSid": "CA5", "DialCallStatus": "busy"}),
    ("/sms/inbound", {"MessageSid": "SM1", "From": "+15555550100", "Body": "hello"}),
    ("/sms/status", {"MessageSid": "SM1", "MessageStatus": "delivered"}),
]
IDS = [path for path, _ in ROUTES]


@pytest.fixture
def signed(app) -> TwilioClient:  # type: ignore[no-untyped-def]
    return TwilioClient(app)


@pytest.mark.parametrize(("path", "params"), ROUTES, ids=IDS)
class TestSignatureMatrix:
    def test_valid_is_served(self, signed, path, params):
        assert signed.post(path, params).status_code in (200, 204)

    def test_missing_is_403(self, signed, path, params):
        assert signed.post(path, params, signed=False).status_code == 403

    def test_garbage_is_403(self, signed, path, params):
        response = signed.post(path, params, **{"X-Twilio-Signature": "AAAA"})
        assert response.status_code == 403

    def test_another_accounts_token_is_403(self, app, path, params):
        assert TwilioClient(app, token="another-account").post(path, params).status_code == 403

    def test_replayed_to_another_url_is_403(self, signed, path, params):
        elsewhere = signed.validator.compute_signature(PUBLIC + "/voice/elsewhere", params)
        response = signed.post(path, params, **{"X-Twilio-Signature": elsewhere})
        assert response.status_code == 403

    def test_changed_parameters_are_403(self, signed, path, params):
        signature = signed.validator.compute_signature(PUBLIC + path, params)
        tampered = {**params, "From": "+15555550199", "Digits": "9"}
        response = signed.post(path, tampered, **{"X-Twilio-Signature": signature})
        assert response.status_code == 403

    def test_behind_a_proxy_the_public_url_counts(self, signed, path, params):
        signature = signed.validator.compute_signature(PUBLIC + path, params)
        response = signed.client.post(
            path,
            data=params,
            base_url="http://10.1.2.3:8000",
            headers={"X-Twilio-Signature": signature},
        )
        assert response.status_code in (200, 204)

    def test_the_second_token_works_during_a_rotation(self, settings, clock, path, params):
        tokens = {"TWILIO_AUTH_TOKEN": "new-token", "TWILIO_AUTH_TOKEN_SECONDARY": AUTH_TOKEN}
        rotating = create_app({**settings, **tokens}, clock=clock)
        assert TwilioClient(rotating).post(path, params).status_code in (200, 204)
        assert TwilioClient(rotating, token="new-token").post(path, params).status_code in (
            200,
            204,
        )
        rotating.extensions["db"].engine.dispose()


printable = st.text(st.characters(blacklist_categories=["Cs"]), max_size=80)
params = st.fixed_dictionaries(
    {},
    optional={
        "CallSid": printable,
        "From": printable,
        "To": printable,
        "Digits": printable,
        "SpeechResult": printable,
        "Confidence": printable,
        "RecordingUrl": printable,
        "DialCallStatus": printable,
        "DialCallDuration": printable,
        "CallStatus": printable,
        "CallDuration": printable,
        "AnsweredBy": printable,
        "MessageSid": printable,
        "MessageStatus": printable,
        "ErrorCode": printable,
        "Body": printable,
    },
)
FUZZ = hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _answered_well(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
        assert ET.fromstring(response.get_data(as_text=True)).tag == "Response"
    else:
        assert response.status_code in (204, 400)


@pytest.mark.parametrize("path", [p for p, _ in ROUTES] + ["/voice/answer/impact?turn=2"])
def test_any_parameters_get_twiml_or_a_clear_4xx(signed, twilio, path):
    report_outage(twilio)  # something for the page and bridge routes to find

    @FUZZ
    @given(params)
    def fuzz(form: dict[str, str]) -> None:
        _answered_well(signed.post(path, form))

    fuzz()


@FUZZ
@given(turn=st.one_of(st.integers(), printable), step=st.text("abcxyz_-", min_size=1, max_size=20))
def test_any_turn_and_step_in_the_url(signed, turn, step):
    path = f"/voice/answer/{step}?turn={urllib.parse.quote(str(turn))}"
    _answered_well(signed.post(path, {"CallSid": "CA-fuzz", "SpeechResult": "vpn"}))


def test_a_flood_from_one_number_is_stored_not_acted_on_and_answered_once(
    app, clock, twilio, session
):
    report_outage(twilio)
    run_worker(app, clock)
    replies = [text(twilio, PAT, "LIST") for _ in range(20)]
    assert all(reply and reply.startswith("Open:") for reply in replies)
    over = [text(twilio, PAT, "1a") for _ in range(10)]
    assert over[0] and over[0].startswith("Too many messages")
    assert over[1:] == [None] * 9
    assert the_incident(session).state == "open"  # nothing acted on during the flood
    assert len(session.scalars(select(InboundMessage)).all()) == 30  # and nothing lost
    clock.advance(minutes=6)
    assert text(twilio, PAT, "1a").startswith("AH-1001 acknowledged")


def test_a_flood_from_a_stranger_gets_no_reply_at_all(twilio):
    assert {text(twilio, "+15555550111", "ACK") for _ in range(25)} == {None}
