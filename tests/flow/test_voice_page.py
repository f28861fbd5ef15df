"""A page as a phone call: the responder hears it, presses keys, and machines get a short note."""

from __future__ import annotations

from tests.paging_support import PAT, notifications, paged, report_outage, run_worker, the_incident
from tests.support import TwilioClient


def _voice_page(app, clock, twilio, session):  # type: ignore[no-untyped-def]
    report_outage(twilio)
    for minutes in (0, 15, 15):
        clock.advance(minutes=minutes)
        run_worker(app, clock)
    page = notifications(session, "page")[-1]
    assert (page.channel, page.status) == ("voice", "sent")
    return page


def test_the_responder_hears_the_page_and_presses_1(app, clock, twilio: TwilioClient, session):
    page = _voice_page(app, clock, twilio, session)
    path = f"/voice/page/{page.id}"
    twiml = twilio.voice(path, page.provider_sid, caller=PAT, AnsweredBy="human")
    assert "Incident A, H, 1, 0, 0, 1, priority 1, Canvas." in twiml.text
    assert "students get an error page" in twiml.text
    assert "Press 1 to acknowledge" in twiml.text
    assert twiml.gather.get("action") == f"{path}/answer"
    assert twiml.gather.get("numDigits") == "1"
    done = twilio.voice(f"{path}/answer", page.provider_sid, caller=PAT, Digits="1")
    assert "is acknowledged" in done.text
    assert done.verbs[-1] == "Hangup"
    incident = the_incident(session)
    assert incident.state == "acknowledged"
    ack = next(e for e in incident.events if e.kind == "acknowledged")
    assert (ack.actor, ack.channel) == ("Pat Lee", "voice")


def test_press_2_repeats_and_3_escalates_once(app, clock, twilio: TwilioClient, session):
    page = _voice_page(app, clock, twilio, session)
    path = f"/voice/page/{page.id}/answer"
    again = twilio.voice(path, page.provider_sid, caller=PAT, Digits="2")
    assert "Incident A, H, 1, 0, 0, 1" in again.text
    before = len(paged(session))
    first = twilio.voice(path, page.provider_sid, caller=PAT, Digits="3")
    repeat = twilio.voice(path, page.provider_sid, caller=PAT, Digits="3")
    assert "escalated to the next people" in first.text and first.text == repeat.text
    run_worker(app, clock)
    # One escalation: the 60-minute step (secondary and team lead, SMS and call) came forward.
    assert len(paged(session)) == before + 4
    kinds = [e.kind for e in the_incident(session).events]
    assert kinds.count("escalated") == 2  # asked for, then the step's own mark


def test_an_answering_machine_hears_to_check_sms(app, clock, twilio: TwilioClient, session):
    page = _voice_page(app, clock, twilio, session)
    twiml = twilio.voice(
        f"/voice/page/{page.id}", page.provider_sid, caller=PAT, AnsweredBy="machine_end_beep"
    )
    assert "check your text messages" in twiml.text
    assert twiml.verbs == ["Say", "Hangup"]
    assert the_incident(session).state == "open"
    # Voicemail is not a person: the page failed, and the chain moves on now, as for no answer,
    # not at the 60-minute mark. Twilio's completed callback afterwards changes nothing.
    status = twilio.post(
        f"/voice/page/{page.id}/status",
        {"CallSid": page.provider_sid, "CallStatus": "completed", "AnsweredBy": "machine_end_beep"},
    )
    assert status.status_code == 204
    run_worker(app, clock)
    pages = paged(session)
    assert pages[2] == ("Pat", "voice", "failed")
    assert {who for who, _, _ in pages[3:]} == {"Alex", "Jordan"}
    failed = notifications(session, "page")[2]
    assert "voicemail or a machine" in failed.last_error


def test_a_page_for_an_acknowledged_incident_is_no_longer_active(app, clock, twilio, session):
    page = _voice_page(app, clock, twilio, session)
    twilio.voice(f"/voice/page/{page.id}/answer", page.provider_sid, caller=PAT, Digits="1")
    twiml = twilio.voice(f"/voice/page/{page.id}", "CA-other", caller=PAT, AnsweredBy="human")
    assert "no longer active" in twiml.text


def test_silence_leaves_the_page_open(app, clock, twilio: TwilioClient, session):
    page = _voice_page(app, clock, twilio, session)
    twiml = twilio.voice(f"/voice/page/{page.id}/answer", page.provider_sid, caller=PAT)
    assert "stays open" in twiml.text
    assert the_incident(session).state == "open"


def test_call_status_updates_the_page_and_no_answer_fails_over(app, clock, twilio, session):
    page = _voice_page(app, clock, twilio, session)
    status = f"/voice/page/{page.id}/status"
    response = twilio.post(status, {"CallSid": page.provider_sid, "CallStatus": "no-answer"})
    assert response.status_code == 204
    run_worker(app, clock)
    # The call went unanswered: the 60-minute step comes forward now.
    assert [who for who, *_ in paged(session)][-4:] == ["Alex", "Alex", "Jordan", "Jordan"]
    # A callback with somebody else's CallSid changes nothing.
    twilio.post(status, {"CallSid": "CA-forged", "CallStatus": "completed"})
    assert notifications(session, "page")[2].provider_status == "no-answer"


def test_unknown_pages_and_unsigned_requests(app, twilio: TwilioClient):
    assert "no longer active" in twilio.voice("/voice/page/999", "CA-x", AnsweredBy="human").text
    assert twilio.post("/voice/page/1", {"CallSid": "CA-x"}, signed=False).status_code == 403
