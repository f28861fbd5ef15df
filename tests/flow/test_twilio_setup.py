"""`flask --app app twilio configure`: the number's webhooks set through the REST API."""

from __future__ import annotations

import urllib.parse

import responses

from tests.support import PUBLIC, TEST_SETTINGS

SID = str(TEST_SETTINGS["TWILIO_ACCOUNT_SID"])
NUMBERS = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers"


def listing(*numbers: tuple[str, str]) -> dict:
    return {
        "incoming_phone_numbers": [
            {"sid": sid, "phone_number": number, "account_sid": SID} for sid, number in numbers
        ],
        "next_page_uri": None,
        "page": 0,
        "page_size": 1,
        "uri": "/x",
        "first_page_uri": "/x",
        "previous_page_uri": None,
        "start": 0,
        "end": 0,
    }


def test_configure_sets_voice_status_fallback_and_sms_urls(runner):
    with responses.RequestsMock() as api:
        api.add("GET", f"{NUMBERS}.json", json=listing(("PN123", "+13195550000")))
        api.add(
            "POST",
            f"{NUMBERS}/PN123.json",
            json={"sid": "PN123", "phone_number": "+13195550000", "account_sid": SID},
        )
        result = runner.invoke(args=["twilio", "configure", "--number", "+13195550000"])
        assert result.exit_code == 0, result.output
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(api.calls[0].request.url).query)
        assert query["PhoneNumber"] == ["+13195550000"]
        update = dict(urllib.parse.parse_qsl(api.calls[1].request.body))
    assert update == {
        "VoiceUrl": f"{PUBLIC}/voice/incoming",
        "VoiceMethod": "POST",
        "VoiceFallbackUrl": f"{PUBLIC}/voice/fallback",
        "VoiceFallbackMethod": "POST",
        "StatusCallback": f"{PUBLIC}/voice/status",
        "StatusCallbackMethod": "POST",
        "SmsUrl": f"{PUBLIC}/sms/inbound",
        "SmsMethod": "POST",
    }
    assert "now points at https://line.example.org" in result.output
    assert "+13195550000" not in result.output  # numbers are masked in output too


def test_configure_the_staff_number(runner):
    with responses.RequestsMock() as api:
        api.add("GET", f"{NUMBERS}.json", json=listing(("PN9", "+13195550009")))
        api.add("POST", f"{NUMBERS}/PN9.json", json={"sid": "PN9", "account_sid": SID})
        result = runner.invoke(args=["twilio", "configure", "--number", "+13195550009", "--staff"])
        assert result.exit_code == 0, result.output
        update = dict(urllib.parse.parse_qsl(api.calls[1].request.body))
    assert update["VoiceUrl"] == f"{PUBLIC}/voice/staff"


def test_a_number_of_another_account_is_a_clear_error(runner):
    with responses.RequestsMock() as api:
        api.add("GET", f"{NUMBERS}.json", json=listing())
        result = runner.invoke(args=["twilio", "configure", "--number", "+13195550001"])
    assert result.exit_code != 0
    assert "is not a number of this Twilio account" in result.output
