"""What a hostile caller, a stolen cookie or one bad row could do, each tried once more: one test
per finding of the hardening review (docs/security.md lists them with their results)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app import create_app
from app.config import ConfigError
from app.models import Incident, LoginAttempt, Notification, NotificationKind, Report
from app.web.security import MAX_BODY
from tests.accounts import PASSWORD, STAFF_PIN, make_accounts, sign_in
from tests.paging_support import PAT, report_outage, text
from tests.support import CALLER, FULL_CANVAS_CALL, TEST_SETTINGS

API = {"Authorization": "Bearer api-token-2"}
NEW = {
    "service": "vpn",
    "description": "nobody can connect",
    "impact": "everyone",
    "callback_number": "(319) 555-0166",
}


@pytest.fixture
def accounts(app, clock):  # type: ignore[no-untyped-def]
    make_accounts(app, clock)


# --- 1. a line break that stopped the mail -----------------------------------------------------


def test_a_service_name_with_a_line_break_is_refused_at_input(client, session):
    response = client.post(
        "/api/incidents", json={**NEW, "service": "", "service_text": "VPN\r\nBcc: x"}, headers=API
    )
    assert response.status_code == 422
    assert "line breaks" in response.get_json()["fields"]["service_text"]
    assert session.scalar(select(func.count()).select_from(Incident)) == 0


# --- 2. one number flooding on-call; a keyed-in number used as a relay ---------------------------


def test_a_third_incident_from_one_number_within_an_hour_joins_the_last(twilio, session):
    for n in range(3):
        spoken = twilio.call(
            f"say lab system number {n}",
            f"say lab system number {n}",
            "say it is down",
            "say just now",
            "press 1",
            "press 1",
            "press 1",
            call_sid=f"CA-flood-{n}",
        ).text
    assert "added" in spoken.lower()
    assert session.scalar(select(func.count()).select_from(Incident)) == 2
    assert session.scalar(select(func.count()).select_from(Report)) == 3
    pages = session.scalar(select(func.count()).where(Notification.kind == NotificationKind.PAGE))
    assert pages == 2


def test_a_keyed_in_number_gets_the_reference_not_the_callers_words(twilio, session):
    twilio.call(
        "say the canvas website",
        "press 1",
        "say click here http://evil.example to fix your account",
        "say now",
        "say at nine",
        "press 1",
        "say Dana",
        "press 2",  # not the number calling
        "press 3195550177",
        "press 1",
        "press 1",
    )
    [receipt] = session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.CALLER)
    ).all()
    assert receipt.to_number == "+13195550177"
    assert "after-hours support line" in receipt.body
    assert "evil" not in receipt.body and "Canvas" not in receipt.body


# --- 3. open redirect ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example/x", "//evil.example", "https://evil.example", "/\\evil.example", "/a\r\nb"],
)
def test_signing_in_never_sends_you_off_the_site(client, accounts, target):
    from tests.accounts import csrf_token

    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "jordan", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- 4. the published SECRET_KEY ----------------------------------------------------------------


def test_the_default_or_a_short_secret_key_is_refused_outside_a_local_run(database_url):
    public = {**TEST_SETTINGS, "DATABASE_URL": database_url, "PUBLIC_BASE_URL": "https://x.org"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**public, "SECRET_KEY": "dev-only-secret-change-me"})
    with pytest.raises(ConfigError, match="at least 32"):
        create_app({**public, "SECRET_KEY": "short"})
    local = create_app(
        {
            **public,
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
            "SECRET_KEY": "dev-only-secret-change-me",
        }
    )
    assert local.config["SECRET_KEY"] != "dev-only-secret-change-me"
    assert len(local.config["SECRET_KEY"]) >= 32
    local.extensions["db"].engine.dispose()


# --- 5. the sign-in lockout ---------------------------------------------------------------------


def test_one_persons_failures_do_not_lock_out_everyone_behind_the_proxy(client, accounts):
    for _ in range(6):
        sign_in(client, "hana", "wrong password")
    # Same address (everyone behind the proxy shares it): another account still signs in.
    assert sign_in(client, "jordan").status_code == 302


def test_parallel_guesses_check_at_most_five_passwords(app, accounts, session, clock):
    def guess(_: int) -> int:
        with app.test_client() as client:
            return sign_in(client, "jordan", "wrong password").status_code

    barrier = threading.Barrier(8)

    def at_once(n: int) -> int:
        barrier.wait()
        return guess(n)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(at_once, range(40)))
    assert statuses.count(401) <= 5  # passwords actually checked
    assert statuses.count(429) >= 35
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 40


# --- 6. request size ----------------------------------------------------------------------------


def test_a_huge_form_is_refused_before_it_is_read(client):
    huge = {"CallSid": "CA1", "Body": "x" * (MAX_BODY * 4)}
    # No signature: refused without reading the body at all.
    assert client.post("/voice/incoming", data=huge).status_code == 403
    # A signature to check: the body is too large to read.
    signed = client.post("/voice/incoming", data=huge, headers={"X-Twilio-Signature": "x"})
    assert signed.status_code == 413


# --- 7. staff PIN guessing across calls ---------------------------------------------------------


def test_wrong_pins_over_many_calls_lock_the_staff_line(twilio, session, accounts):
    for n in range(4):
        twilio.call(
            "press 1111",
            "press 2222",
            "press 3333",
            entry="/voice/staff",
            call_sid=f"CA-pin-{n}",
            caller="+13195550199",
        )
    spoken = twilio.call(f"press {STAFF_PIN}", entry="/voice/staff", caller="+13195550199").text
    # Even the right PIN is refused once the number has guessed too often.
    assert "Thank you, Hana" not in spoken


# --- 8. recording URLs --------------------------------------------------------------------------


def test_a_recording_url_not_at_twilio_is_never_stored_or_linked(twilio, session):
    turn = twilio.voice("/voice/incoming", "CA-rec")
    turn = twilio.voice(turn.next_url, "CA-rec", SpeechResult="the canvas website")
    turn = twilio.voice(turn.next_url, "CA-rec", Digits="1")
    for _ in range(2):
        turn = twilio.voice(turn.next_url, "CA-rec")  # silence twice: record instead
    twilio.voice(turn.next_url, "CA-rec", RecordingUrl="javascript:alert(document.cookie)")
    twilio.post("/voice/status", {"CallSid": "CA-rec", "CallStatus": "completed"})
    incident = session.scalars(select(Incident)).one()
    assert incident.recording_url is None


# --- 9 and 10. bounded input: never a 500 ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kwargs", "status"),
    [
        ("/api/incidents", {"json": {**NEW, "started": "x" * 600}}, 422),
        ("/api/incidents?offset=9223372036854775808", {}, 400),
        (
            "/api/incidents",
            {"data": "[" * 30_000 + "]" * 30_000, "content_type": "application/json"},
            400,
        ),
    ],
)
def test_malformed_api_input_gets_a_4xx(client, path, kwargs, status):
    method = client.get if not kwargs else client.post
    response = method(path, headers=API, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert "error" in response.get_json()


def test_long_notes_and_loose_booleans_are_refused(client, twilio):
    report_outage(twilio)
    long_note = client.post(
        "/api/incidents/AH-1001/resolve",
        json={"responder": "Pat Lee", "note": "x" * 5000},
        headers=API,
    )
    assert long_note.status_code == 422
    loose = client.post(
        "/api/incidents/AH-1001/close",
        json={"responder": "Pat Lee", "confirmed_by_phone": "false"},
        headers=API,
    )
    assert loose.status_code == 400 and "boolean" in loose.get_json()["error"]


@pytest.mark.parametrize("number", ["+1 900 555 0100", "+882 1234 5678", "+44 20 7946 0958"])
def test_premium_rate_and_foreign_callback_numbers_are_refused(client, number):
    response = client.post("/api/incidents", json={**NEW, "callback_number": number}, headers=API)
    assert response.status_code == 422
    assert response.get_json()["fields"]["callback_number"]


# --- 11. log injection --------------------------------------------------------------------------


def test_a_line_break_in_a_call_sid_cannot_forge_a_log_line(twilio, caplog):
    with caplog.at_level(logging.INFO):
        response = twilio.post("/voice/incoming", {"CallSid": "CA1\nERROR forged line"})
        twilio.post("/voice/answer/x%0aERROR%20forged?turn=1", {"CallSid": "CA2"})
    assert response.status_code == 400
    assert not any("\n" in record.getMessage() for record in caplog.records)


# --- 12. summary links --------------------------------------------------------------------------


def test_a_summary_link_works_once(client, app, clock, twilio, session, gateway):
    from tests.flow.test_after_ack import TestSummaryForm, acked_and_resolved

    acked_and_resolved(app, clock, twilio, gateway)
    link = TestSummaryForm().link(gateway)
    page = client.get(link).get_data(as_text=True)
    assert "hours" in page
    text(twilio, PAT, "SUM 1001 1 restarted it")
    again = client.get(link)
    assert again.status_code == 410
    assert "already sent" in again.get_data(as_text=True)


# --- 13. the session cookie, headers, metrics ---------------------------------------------------


def test_a_cookie_copied_before_sign_out_stops_working(client, app, accounts):
    sign_in(client, "jordan")
    stolen = client.get_cookie("session")
    assert stolen is not None
    from tests.accounts import csrf_token

    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/").status_code == 302  # back to the sign-in page


def test_every_answer_carries_the_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_metrics_need_their_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"})
    assert ok.status_code == 200


def test_the_full_call_still_works(twilio):
    assert "Your reference is" in twilio.call(*FULL_CANVAS_CALL).text
    assert CALLER


def test_a_new_password_ends_every_session(client, app, accounts, runner):
    sign_in(client, "jordan")
    assert client.get("/").status_code == 200
    result = runner.invoke(args=["users", "password", "jordan", "--password", "another-password-1"])
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert sign_in(client, "jordan", "another-password-1").status_code == 302
