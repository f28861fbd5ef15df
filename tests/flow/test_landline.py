"""A caller on a landline: their texts fail for good (Twilio 21614 / 30006), the owner is told to
call them, and "is it fixed?" is asked by a call from the line, retried once."""

from __future__ import annotations

import urllib.parse

import pytest
import responses

from app.adapters.gateways import TwilioGateway
from tests.flow.test_spanish_line import EN_ESPANOL as SPANISH_CANVAS_CALL
from tests.paging_support import PAT, notifications, report_outage, run_worker, text, the_incident
from tests.support import CALLER, FULL_CANVAS_CALL, PUBLIC, TEST_SETTINGS, statements_on
from tests.twilio_fake import LINE, SID, FakeTwilio


@pytest.fixture
def gateway() -> TwilioGateway:
    return TwilioGateway(SID, str(TEST_SETTINGS["TWILIO_AUTH_TOKEN"]), LINE)


@pytest.fixture
def fake(clock):  # type: ignore[no-untyped-def]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        twilio_fake = FakeTwilio(clock)
        # Texts to the caller's number are refused as Twilio refuses a landline; calls go through.
        twilio_fake.decide = lambda params: (
            (400, 21614) if params.get("To") == CALLER and "Body" in params else "ok"
        )
        twilio_fake.install(mock)
        yield twilio_fake, mock


def calls_placed(mock: responses.RequestsMock) -> list[dict[str, str]]:
    return [
        dict(urllib.parse.parse_qsl(call.request.body))
        for call in mock.calls
        if call.request.method == "POST" and call.request.url.endswith("/Calls.json")
    ]


def sms_bodies(fake: FakeTwilio, to: str) -> list[str]:
    return [item["body"] for item in fake.taken_by(to) if item["kind"] == "Messages"]


def ack_and_resolve(app, clock, twilio) -> str:  # type: ignore[no-untyped-def]
    report_outage(twilio)
    run_worker(app, clock)  # the page, and the caller's receipt text, refused: 21614
    clock.advance(minutes=5)
    ack = text(twilio, PAT, "1a")
    clock.advance(minutes=30)
    text(twilio, PAT, "1r restarted the app pool")
    run_worker(app, clock)
    return ack


def confirm_path(mock: responses.RequestsMock) -> str:
    [*_, placed] = calls_placed(mock)
    assert placed["To"] == CALLER and placed["From"] == LINE
    assert placed["Url"].startswith(f"{PUBLIC}/voice/confirm/")
    return placed["Url"].removeprefix(PUBLIC)


def test_the_landline_caller_is_called_and_presses_1(app, clock, twilio, session, fake):
    twilio_fake, mock = fake
    ack = ack_and_resolve(app, clock, twilio)
    assert ack.endswith("Call the caller: (319) 555-0142. They can't receive texts.")
    incident = the_incident(session)
    assert incident.reports[0].texts_fail_since is not None
    assert "caller-no-texts" in [e.kind for e in incident.events]
    assert sms_bodies(twilio_fake, CALLER) == []  # nothing more is sent to a number that failed
    path = confirm_path(mock)
    answered = twilio.voice(path, "CA" + "1" * 32, caller=LINE)
    assert answered.heard == [
        "This is the after-hours support line, about your report A, H, 1, 0, 0, 1, Canvas. "
        "The administrator reports it is fixed.",
        "If it works for you now, press 1. If it is still broken, press 2.",
    ]
    pressed = twilio.voice(answered.gather.get("action"), "CA" + "1" * 32, Digits="1")
    assert pressed.heard == ["Thank you. We'll close the report. Goodbye."]
    incident = the_incident(session)
    assert (incident.confirmed_via, incident.reports[0].confirmation) == ("call", "works")
    run_worker(app, clock)
    assert sms_bodies(twilio_fake, PAT)[-1] == (
        "AH-1001: the caller confirmed it works. Reply CLOSE 1001 to close it."
    )


def test_pressing_2_reopens_it(app, clock, twilio, session, fake):
    _, mock = fake
    ack_and_resolve(app, clock, twilio)
    path = confirm_path(mock)
    answered = twilio.voice(path, "CA" + "2" * 32, caller=LINE)
    pressed = twilio.voice(answered.gather.get("action"), "CA" + "2" * 32, Digits="2")
    assert pressed.heard == [
        "Sorry it is still broken. The administrator has been paged again. Goodbye."
    ]
    incident = the_incident(session)
    assert (incident.state, incident.reopened_at) == ("open", clock.now())
    [reopened] = [e for e in incident.events if e.kind == "reopened"]
    assert reopened.channel == "voice"


def test_an_unanswered_call_is_tried_once_more_then_left_to_the_owner(
    app, clock, twilio, session, fake
):
    _, mock = fake
    ack_and_resolve(app, clock, twilio)
    assert len(calls_placed(mock)) == 1
    [first] = [n for n in notifications(session, "caller") if n.channel == "voice"]
    status = {"CallSid": first.provider_sid, "CallStatus": "no-answer"}
    assert twilio.post(f"/voice/page/{first.id}/status", status).status_code == 204
    clock.advance(minutes=14)
    run_worker(app, clock)
    assert len(calls_placed(mock)) == 1
    clock.advance(minutes=1)
    run_worker(app, clock)
    assert len(calls_placed(mock)) == 2
    # The second is answered by a voicemail: it hears a message, and no third call follows.
    second = [n for n in notifications(session, "caller") if n.channel == "voice"][1]
    machine = twilio.voice(
        f"/voice/confirm/{second.id}", "CA" + "3" * 32, caller=LINE, AnsweredBy="machine_start"
    )
    assert machine.heard[0].startswith("This is the after-hours support line, about your report")
    assert machine.verbs[-1] == "Hangup"
    clock.advance(hours=1)
    run_worker(app, clock)
    assert len(calls_placed(mock)) == 2


def test_a_late_undelivered_report_tells_the_owner_at_once(app, clock, twilio, session):
    """The receipt text was taken, then the carrier reported it undelivered (30006, landline)
    after the owner acknowledged: the owner hears at once that the caller needs a call."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        twilio_fake = FakeTwilio(clock)
        twilio_fake.install(mock)
        report_outage(twilio)
        run_worker(app, clock)
        text(twilio, PAT, "1a")
        run_worker(app, clock)
        receipt = next(n for n in notifications(session, "caller") if n.to_number == CALLER)
        callback = {"MessageSid": receipt.provider_sid, "MessageStatus": "undelivered"}
        response = twilio.post("/sms/status", {**callback, "ErrorCode": "30006"})
        assert response.status_code == 204
        run_worker(app, clock)
        assert sms_bodies(twilio_fake, PAT)[-1] == (
            "AH-1001: the caller at (319) 555-0142 can't receive texts: call them (reply CALL "
            "1001 to be connected)."
        )


def test_a_confirmation_call_for_a_settled_incident_says_so(app, clock, twilio, session, fake):
    _, mock = fake
    ack_and_resolve(app, clock, twilio)
    path = confirm_path(mock)
    text(twilio, PAT, "CLOSE 1001 PHONE")
    late = twilio.voice(path, "CA" + "4" * 32, caller=LINE)
    assert late.heard == ["This report no longer needs an answer. Thank you, goodbye."]


def test_a_landline_among_many_callers_reads_and_marks_only_its_own_reports(
    app, clock, twilio, session, fake
):
    """A storm's incident has thousands of reports and many landlines: each failed text looks
    at its own caller's reports, never at every report of the incident."""
    report_outage(twilio)  # the landline caller opens the incident
    joining = (*FULL_CANVAS_CALL[:2], "press 1", *FULL_CANVAS_CALL[2:])
    others = [f"+1319555{3000 + n:04d}" for n in range(8)]
    for number in others:
        twilio.call(*joining, caller=number)
    with statements_on(app.extensions["db"].engine) as seen:
        run_worker(app, clock)  # every receipt sent; the landline's refused: 21614
    incident = the_incident(session)
    failed = {r.caller_number: r.texts_fail_since is not None for r in incident.reports}
    assert failed == {CALLER: True, **dict.fromkeys(others, False)}
    # (The worker's look for addresses to confirm is a due-time query, not a read of reports.)
    reading_reports = [
        s for s in seen if "FROM reports" in s and "WHERE reports.email_confirm_at <=" not in s
    ]
    assert reading_reports, "the failure reads the caller's reports"
    assert all("callback_number =" in s for s in reading_reports), reading_reports
    clock.advance(minutes=5)
    assert text(twilio, PAT, "1a").endswith("They can't receive texts.")
    run_worker(app, clock)  # the worker tells every caller
    worked_on = [
        n.to_number for n in notifications(session, "caller") if "is being worked on" in n.body
    ]
    assert sorted(worked_on) == others  # every caller but the landline


def test_a_spanish_caller_on_a_landline_is_asked_in_spanish(app, clock, twilio, session, fake):
    _, mock = fake
    twilio.call("press 9", *SPANISH_CANVAS_CALL)
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    clock.advance(minutes=30)
    text(twilio, PAT, "1r restarted the app pool")
    run_worker(app, clock)
    answered = twilio.voice(confirm_path(mock), "CA" + "5" * 32, caller=LINE)
    assert answered.heard == [
        "Le llama la línea de soporte fuera de horario, sobre su reporte A, H, 1, 0, 0, 1, "
        "Canvas. El administrador informa que ya está arreglado.",
        "Si ya le funciona, oprima 1. Si sigue fallando, oprima 2.",
    ]
    assert {say.get("voice") for say in answered.root.iter("Say")} == {"Polly.Lupe-Neural"}
    pressed = twilio.voice(answered.gather.get("action"), "CA" + "5" * 32, Digits="1")
    assert pressed.heard == ["Gracias. Cerraremos el reporte. Adiós."]
