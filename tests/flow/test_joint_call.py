"""The joint call: JOIN 1042 (or the incident page) opens a conference named for the incident,
the line calls the caller and whoever asked, responders call in by keying the reference, and who
joined and left goes on the timeline, into the first-contact goal and into the summary."""

from __future__ import annotations

from sqlalchemy import select

from app.context import runtime
from app.models import JointCallLeg, Notification
from tests.accounts import make_accounts, post_form, sign_in
from tests.paging_support import (
    JORDAN,
    PAT,
    confirm_address,
    report_outage,
    run_worker,
    text,
    the_incident,
)
from tests.support import CALLER

AUTH = {"Authorization": "Bearer api-token-1"}


def joint_calls(session) -> list[Notification]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.kind == "joint")))


def event(twilio, incident_id: int, call_sid: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    response = twilio.post(
        f"/voice/joint/events/{incident_id}",
        {"CallSid": call_sid, "StatusCallbackEvent": kind, "FriendlyName": "AH-1001"},
    )
    assert response.status_code == 204


def test_join_calls_the_caller_and_the_admin_into_one_room(app, clock, twilio, session, gateway):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=6)
    assert text(twilio, PAT, "JOIN 1001") == (
        "AH-1001 acknowledged at 02:06 CST (yours now). Joint call for AH-1001: the line is "
        "calling the caller and you now. Others join with JOIN 1001, or by calling the line and "
        "keying 1001."
    )
    gateway.sent.clear()
    run_worker(app, clock)
    placed = {to: url for kind, to, url in gateway.sent if kind == "voice"}
    assert set(placed) == {CALLER, PAT}
    caller_call, pat_call = sorted(joint_calls(session), key=lambda n: n.to_number != CALLER)
    answered = twilio.voice(f"/voice/joint/{caller_call.id}", caller_call.provider_sid)
    assert answered.heard == [
        "This is the after-hours support line. Joining you to the call about incident "
        "A, H, 1, 0, 0, 1."
    ]
    room = answered.first("Dial").find("Conference")
    assert room.text == "AH-1001"
    assert room.get("statusCallback") == "/voice/joint/events/1"
    assert room.get("statusCallbackEvent") == "join leave end"
    assert room.get("endConferenceOnExit") == "false"

    event(twilio, 1, pat_call.provider_sid, "participant-join")
    clock.advance(minutes=1)
    event(twilio, 1, caller_call.provider_sid, "participant-join")
    incident = the_incident(session)
    assert (incident.first_contact_via, incident.first_contact_at) == ("joint call", clock.now())
    assert incident.time_to_contact.total_seconds() == 7 * 60

    # The team lead joins from the chain by SMS: only they are called, the caller is in already.
    gateway.sent.clear()
    assert "the line is calling you now" in text(twilio, JORDAN, "JOIN 1001")
    run_worker(app, clock)
    assert [to for kind, to, _ in gateway.sent if kind == "voice"] == [JORDAN]

    clock.advance(minutes=12)
    event(twilio, 1, caller_call.provider_sid, "participant-leave")
    event(twilio, 1, pat_call.provider_sid, "participant-leave")
    details = [e.detail for e in the_incident(session).events if e.kind == "joint-call"]
    assert details[-2:] == ["left after 12 min", "left after 13 min"]
    detail = twilio.client.get("/api/incidents/AH-1001", headers=AUTH).get_json()
    assert detail["first_contact_via"] == "joint call"
    assert detail["time_to_contact_seconds"] == 420
    assert [leg["who"] for leg in detail["joint_call"]] == ["the caller", "Pat Lee", "Jordan Reyes"]

    text(twilio, PAT, "1r restarted the app pool")
    text(twilio, PAT, "SUM 1001 1 restarted it on the joint call")
    run_worker(app, clock)
    [body] = [b for _, s, b in runtime(app).mailer.sent if s.startswith("Work summary")]
    assert "Joint call: the caller, Pat Lee, 13 min" in body
    assert "First contact with the customer: 2026-11-28 02:07 CST (joint call)" in body


def test_a_responder_calls_the_line_and_keys_the_reference(app, clock, twilio, session, gateway):
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "JOIN 1001")
    run_worker(app, clock)
    prompt = twilio.voice("/voice/incoming", "CA-jordan-in", caller=JORDAN)
    assert prompt.heard == [
        "To join a joint call, key the incident number, then press pound. To report a problem "
        "instead, just press pound."
    ]
    gateway.sent.clear()
    keyed = twilio.voice(prompt.gather.get("action"), "CA-jordan-in", caller=JORDAN, Digits="1001")
    # The call that keyed it is never put in the room: the line calls the roster's number.
    assert keyed.verbs == ["Say", "Hangup"]
    assert keyed.heard == [
        "This is the after-hours support line. The line is calling you back on your own phone "
        "now to bring you into the call about incident A, H, 1, 0, 0, 1. Goodbye."
    ]
    run_worker(app, clock)
    assert [to for kind, to, _ in gateway.sent if kind == "voice"] == [JORDAN]
    [jordan_call] = [n for n in joint_calls(session) if n.to_number == JORDAN]
    answered = twilio.voice(f"/voice/joint/{jordan_call.id}", jordan_call.provider_sid)
    assert answered.first("Dial").find("Conference").text == "AH-1001"
    leg = session.scalar(select(JointCallLeg).where(JointCallLeg.notification_id == jordan_call.id))
    assert leg.who == "Jordan Reyes"
    # A caller (not a responder) calling the line meanwhile gets the usual line.
    other = twilio.voice("/voice/incoming", "CA-other", caller="+13195550177")
    assert other.heard[0].startswith("You have reached the after-hours support line.")


def test_contact_marked_by_sms_and_on_the_dashboard(app, clock, twilio, session, client):
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    clock.advance(minutes=20)
    assert text(twilio, PAT, "CONTACTED 1001") == (
        "AH-1001: contact with the customer recorded at 02:20 CST (20 min after it opened)."
    )
    assert text(twilio, PAT, "contacted 1001") == "AH-1001: contact was already recorded."
    assert the_incident(session).first_contact_via == "admin"
    make_accounts(app, clock)
    sign_in(client, "jordan")
    page = client.get("/incidents/AH-1001").get_data(as_text=True)
    assert "02:20 CST (admin, 20 min after opening)" in page
    stats = client.get("/reports").get_data(as_text=True)
    assert 'data-contact="AH-1001"' in stats
    assert '<dd id="contact-goal">1 of 1 within 60 minutes · median 20 min' in stats
    # The dashboard's button starts a joint call for the signed-in lead.
    response = post_form(client, "/incidents/AH-1001", "/incidents/AH-1001/act", action="join")
    assert response.status_code in (200, 302)
    assert {n.to_number for n in joint_calls(session)} == {CALLER, JORDAN}


def test_a_caller_texts_an_email_address_and_gets_updates_there_too(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    [receipt] = [n for n in session.scalars(select(Notification)) if n.to_number == CALLER]
    assert receipt.body.endswith("Reply with your e-mail address to also get updates by e-mail.")
    assert text(twilio, CALLER, "it's Dana.Smith@Example.edu thanks") == (
        "Thank you. We are e-mailing Dana.Smith@example.edu a link: open it to also get "
        "updates about AH-1001 there."
    )
    assert the_incident(session).reports[0].email == "Dana.Smith@example.edu"
    done = confirm_address(app, clock, "Dana.Smith@example.edu")
    assert "Updates about AH-1001 will also go to Dana.Smith@example.edu." in done
    text(twilio, PAT, "1a")
    run_worker(app, clock)
    [_link, (to, subject, body)] = runtime(app).mailer.sent
    assert (to, subject) == ("Dana.Smith@example.edu", "AH-1001: Canvas")
    assert body.startswith("AH-1001: your report about Canvas is being worked on.")


def test_the_api_and_the_form_take_an_email_and_refuse_a_bad_one(twilio, session):
    report = {
        "service": "vpn",
        "description": "cannot connect",
        "impact": "degraded",
        "callback_number": "+13195550177",
        "email": "not an address",
    }
    bad = twilio.client.post("/api/incidents", json=report, headers=AUTH)
    assert bad.status_code == 422
    assert "email" in bad.get_json()["fields"]
    good = twilio.client.post(
        "/api/incidents", json={**report, "email": "lab@Example.edu"}, headers=AUTH
    )
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["incident"]["reports"][0]["email"] == "lab@example.edu"
