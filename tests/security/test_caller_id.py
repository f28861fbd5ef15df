"""A caller ID is a claim, not an identity: anyone can call the line from any number. A number
never puts a call into a joint call, and the line never calls or keeps as a callback a number
it would refuse keyed in (premium-rate, toll-free, abroad, its own or the help desk's)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.adapters.simulator import Answer, Ask
from app.models import Incident, Notification, NotificationChannel, PriorityContact, Responder
from tests.flow.test_fallback import RECORDING, UNREACHABLE
from tests.paging_support import JORDAN, PAT, report_outage, run_worker, text, the_incident
from tests.support import FULL_CANVAS_CALL, TwilioClient

SAM, ALEX, CASEY = "+13195550102", "+13195550103", "+13195550130"
JOIN_PROMPT = (
    "To join a joint call, key the incident number, then press pound. To report a problem "
    "instead, just press pound."
)
AFTER_HOURS = "You have reached the after-hours support line."


@pytest.fixture
def joint_call_open(app, clock, twilio, session, gateway):  # type: ignore[no-untyped-def]
    """Pat, paged for AH-1001, has the joint call open; the line has called Pat and the caller."""
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "JOIN 1001")
    run_worker(app, clock)
    gateway.sent.clear()


def voice_calls(session) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    rows = session.scalars(
        select(Notification).where(Notification.channel == NotificationChannel.VOICE)
    )
    return sorted((n.kind, n.to_number) for n in rows)


def test_an_admin_never_paged_for_it_cannot_key_into_a_joint_call(joint_call_open, twilio, session):
    before = voice_calls(session)
    prompt = twilio.voice("/voice/incoming", "CA-sam", caller=SAM)
    assert prompt.heard == [JOIN_PROMPT]
    keyed = twilio.voice(prompt.gather.get("action"), "CA-sam", caller=SAM, Digits="1001")
    assert "Conference" not in keyed.text
    # Told what anyone keying a number with no call is told, and on to a report.
    assert keyed.heard[0] == "There is no joint call for that incident."
    assert keyed.heard[1].startswith(AFTER_HOURS)
    assert voice_calls(session) == before


@pytest.mark.parametrize(
    ("number", "change"),
    [
        (ALEX, {"active": False}),  # removed from the roster
        (CASEY, {}),  # never verified
    ],
    ids=["inactive", "unverified"],
)
def test_a_number_of_someone_who_may_not_be_paged_is_not_offered_the_joint_call(
    joint_call_open, twilio, session, number, change
):
    person = session.scalar(select(Responder).where(Responder.phone == number))
    for name, value in change.items():
        setattr(person, name, value)
    session.commit()
    greeted = twilio.voice("/voice/incoming", "CA-other", caller=number)
    assert JOIN_PROMPT not in greeted.heard
    assert greeted.heard[0].startswith(AFTER_HOURS)


def test_the_number_of_someone_in_the_call_never_puts_this_call_in_the_room(
    joint_call_open, twilio, session, app, clock, gateway
):
    """Whoever dials in with Jordan's number is told the line calls back; only Jordan's own
    phone, the roster's number, is rung."""
    before = voice_calls(session)
    prompt = twilio.voice("/voice/incoming", "CA-spoofed", caller=JORDAN)
    keyed = twilio.voice(prompt.gather.get("action"), "CA-spoofed", caller=JORDAN, Digits="1001")
    assert "Conference" not in keyed.text and keyed.verbs[-1] == "Hangup"
    assert voice_calls(session) == sorted([*before, ("joint", JORDAN)])
    # Pat, already in the call, keying in again rings nobody.
    prompt = twilio.voice("/voice/incoming", "CA-pat-again", caller=PAT)
    keyed = twilio.voice(prompt.gather.get("action"), "CA-pat-again", caller=PAT, Digits="1001")
    assert "Conference" not in keyed.text
    assert voice_calls(session) == sorted([*before, ("joint", JORDAN)])


REFUSED_CALLER_IDS = {
    "premium-rate": "+19002012345",
    "toll-free": "+18005550100",
    "another country": "+442071234567",
    "Jamaica, in the +1 plan": "+18762345678",
    "the help desk": "+13193844357",
    "the line's own dial-through": "+13193840001",
}


def attacker(keyed: str):  # type: ignore[no-untyped-def]
    """Answers the report as FULL_CANVAS_CALL does; presses 1 to any offer of the number
    calling, and keys `keyed` whenever asked for a number."""
    others = iter([a for i, a in enumerate(FULL_CANVAS_CALL) if i != 7])

    def answer(ask: Ask) -> Answer:
        said = " ".join(ask.prompts)
        if "To be called back on" in said:
            return Answer("press", "1")
        if "enter the callback number" in said:
            return Answer("press", f"{keyed}#")
        return Answer.parse(next(others, "silence"))

    return answer


@pytest.mark.parametrize("caller_id", REFUSED_CALLER_IDS.values(), ids=REFUSED_CALLER_IDS.keys())
def test_a_caller_id_the_line_would_refuse_keyed_in_is_never_a_callback_number(
    app, clock, twilio, session, gateway, caller_id
):
    call = twilio.call_answering(attacker("19002012345"), caller=caller_id)
    assert not any("To be called back on" in said for said in call.heard), call.heard
    assert (
        "We couldn't get a callback number, so please call the help desk if you don't hear "
        "from us." in call.heard
    )
    incident = the_incident(session)
    assert incident.callback_number is None
    run_worker(app, clock)
    # The page says there is no number; CALL, RESOLVE and JOIN place no call to anyone's number
    # but the admin's own.
    page = next(body for kind, to, body in gateway.sent if kind == "sms" and to == PAT)
    assert "No callback number." in page
    assert "no callback number" in text(twilio, PAT, "CALL 1001").lower()
    text(twilio, PAT, "JOIN 1001")
    text(twilio, PAT, "RESOLVE 1001 restarted the web servers")
    run_worker(app, clock)
    placed = {to for kind, to, _ in gateway.sent if kind == "voice"}
    assert placed <= {PAT}, placed
    assert not session.scalars(
        select(Notification).where(Notification.to_number.in_([caller_id, "+19002012345"]))
    ).all()


def test_a_voicemail_keyed_number_and_caller_id_pass_the_same_policy(app, clock, session, settings):
    """The fallback voicemail (the database unreachable) keeps what was keyed on disk; the
    import applies the policy to it and to the caller ID."""
    down = create_app({**settings, "DATABASE_URL": UNREACHABLE}, clock=clock)
    line = TwilioClient(down)
    line.voice("/voice/fallback", "CA-down", caller="+19002012345")
    line.voice("/voice/fallback/number", "CA-down", caller="+19002012345", Digits="19002012345#")
    line.voice("/voice/fallback/recorded", "CA-down", RecordingUrl=RECORDING)
    down.extensions["db"].engine.dispose()
    run_worker(app, clock)
    incident = session.scalars(select(Incident)).one()
    assert (incident.callback_number, incident.caller_number) == (None, "+19002012345")


@pytest.mark.parametrize("number", ["+13193844357", "+13193840001", "+19002012345"])
def test_the_api_refuses_the_lines_own_numbers_and_paid_ones_as_callbacks(client, number):
    answer = client.post(
        "/api/incidents",
        headers={"Authorization": "Bearer api-token-1"},
        json={
            "service": "canvas",
            "description": "students get an error page",
            "impact": "degraded",
            "callback_number": number,
        },
    )
    assert answer.status_code == 422
    assert "callback_number" in answer.get_json()["fields"]


CAS_NUMBER = "+13195550177"


def test_keying_or_sending_a_cas_customers_number_does_not_make_a_report_cas(twilio, session):
    """Anyone can key or send any number as their callback: only the caller ID (or a number
    staff typed) makes a caller a CAS customer."""
    session.add(PriorityContact(number=CAS_NUMBER, customer="CAS Research Computing"))
    session.commit()
    # Calling from the number is what counts.
    twilio.call("say hawkid login", *FULL_CANVAS_CALL[1:7], "press 1", "press 1", caller=CAS_NUMBER)
    from_cas = the_incident(session)
    assert from_cas.caller_number == CAS_NUMBER and from_cas.priority_customer
    twilio.call(
        "say vpn",
        "press 1",
        "say it drops every minute",
        "say now",
        "say at nine",
        "press 2",
        "say Dana",
        "press 2",
        "press 2",
        "press 3195550177",
        "press 1",
        "press 1",
    )
    keyed = session.scalars(select(Incident).order_by(Incident.id.desc())).first()
    assert keyed.callback_number == CAS_NUMBER and not keyed.priority_customer
    sent = twilio.client.post(
        "/api/incidents",
        json={
            "service": "sharepoint",
            "description": "cannot open files",
            "impact": "degraded",
            "callback_number": CAS_NUMBER,
        },
        headers={"Authorization": "Bearer api-token-1"},
    )
    assert sent.status_code == 201
    assert sent.get_json()["incident"]["priority_customer"] is False
