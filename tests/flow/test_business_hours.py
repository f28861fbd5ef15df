"""Business hours as the support process has them: the caller is put through to the service's
primary administrator, then the backup, then the team lead, each asked to take the call; only
then is a report taken, and that report pages the service's own administrator first."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.context import runtime
from app.models import Call, CallStatus, Service
from tests.conftest import CHICAGO
from tests.paging_support import PAT, notifications, paged, run_worker, text, the_incident
from tests.support import CALLER, TwilioClient, stateless

PAT_PHONE, SAM_PHONE, TEAM_LEAD_LINE = "+13195550101", "+13195550102", "+13193840001"
# The number TwilioClient calls from unless told otherwise.
CALLER_ID = CALLER


@pytest.fixture(autouse=True)
def _tuesday_morning(clock):  # type: ignore[no-untyped-def]
    clock.set(dt.datetime(2026, 12, 1, 10, 30, tzinfo=CHICAGO))


def to_the_dial(twilio: TwilioClient, sid: str):  # type: ignore[no-untyped-def]
    greeting = twilio.voice("/voice/incoming", sid)
    assert "To be put through to the administrator for your service, press 1." in greeting.text
    twilio.voice("/voice/answer/greeting?turn=1", sid, Digits="1")
    twilio.voice("/voice/answer/service?turn=2", sid, SpeechResult="canvas")
    return twilio.voice("/voice/answer/service?turn=3", sid, Digits="1")


def test_the_primary_administrator_is_asked_and_takes_the_call(twilio, session):
    dial = to_the_dial(twilio, "CA-bh1")
    assert dial.heard[-1] == "Connecting you to the administrator for Canvas. Please hold."
    number = dial.first("Dial").find("Number")
    assert (number.text, number.get("url")) == (PAT_PHONE, "/voice/whisper/CA-bh1?attempt=4")
    assert stateless(dial.first("Dial").get("action")) == "/voice/answer/put_through?turn=4"
    whisper = twilio.voice("/voice/whisper/CA-bh1?attempt=4", "CA-child-1", caller=PAT_PHONE)
    assert whisper.heard == ["Support line call about Canvas. Press 1 to take it."]
    accept = whisper.gather.get("action")
    taken = twilio.voice(accept, "CA-child-1", caller=PAT_PHONE, Digits="1")
    assert taken.verbs == []  # an empty answer: Twilio connects the caller
    done = twilio.voice("/voice/answer/put_through?turn=4", "CA-bh1", DialCallStatus="completed")
    assert done.heard == ["Thank you for calling. Goodbye."]
    session.expire_all()
    call = session.scalars(select(Call)).one()
    assert call.status == CallStatus.CONNECTED
    # On record as Pat's, in contact already: nobody is paged and the caller gets no receipt.
    incident = the_incident(session)
    assert (incident.state, incident.owner.name, incident.source) == (
        "acknowledged",
        "Pat Lee",
        "put-through",
    )
    assert incident.business_hours and incident.first_contact_at == incident.created_at
    assert [r.caller_number for r in incident.reports] == [CALLER_ID]
    assert paged(session) == [] and notifications(session, "caller") == []
    [told] = notifications(session, "notice")
    assert told.to_number == PAT_PHONE
    assert told.body == (
        "AH-1001 Canvas: the call Pat Lee took at 10:30 CST is on record as yours. When it is "
        "fixed, reply RESOLVE 1001 and what you did; the caller is asked to confirm and your "
        "work summary goes to the director."
    )


def test_the_call_taken_is_resolved_confirmed_and_summarised_to_the_director(
    app, clock, twilio, session
):
    to_the_dial(twilio, "CA-bh3")
    whisper = twilio.voice("/voice/whisper/CA-bh3?attempt=4", "CA-child-3", caller=PAT_PHONE)
    twilio.voice(whisper.gather.get("action"), "CA-child-3", caller=PAT_PHONE, Digits="1")
    twilio.voice("/voice/answer/put_through?turn=4", "CA-bh3", DialCallStatus="completed")
    clock.advance(minutes=40)
    assert text(twilio, PAT, "RESOLVE 1001 cleared the cache").startswith(
        "AH-1001 marked resolved at 11:10 CST. 1 caller asked to confirm"
    )
    run_worker(app, clock)
    [asked] = [n for n in notifications(session, "caller") if n.to_number == CALLER_ID]
    assert "AH-1001" in asked.body and "WORKS" in asked.body
    text(twilio, CALLER_ID, "WORKS")
    assert text(twilio, PAT, "SUM 1001 45m cleared the cache") == (
        "Summary for AH-1001 saved (45 min) and sent to Morgan Chen (director)."
    )


def test_taken_on_the_team_leads_line_the_team_lead_owns_it(twilio, session):
    to_the_dial(twilio, "CA-bh4")
    for turn in (4, 5):  # Pat's phone, then Sam's: busy
        twilio.voice(f"/voice/answer/put_through?turn={turn}", "CA-bh4", DialCallStatus="busy")
    whisper = twilio.voice("/voice/whisper/CA-bh4?attempt=6", "CA-c4", caller=TEAM_LEAD_LINE)
    twilio.voice(whisper.gather.get("action"), "CA-c4", caller=TEAM_LEAD_LINE, Digits="1")
    twilio.voice("/voice/answer/put_through?turn=6", "CA-bh4", DialCallStatus="completed")
    incident = the_incident(session)
    assert (incident.state, incident.owner.name) == ("acknowledged", "Jordan Reyes")
    [taken] = [e for e in incident.events if e.kind == "acknowledged"]
    assert taken.actor == "(319) 384-0001 (the team lead's line)"


def test_nobody_takes_it_so_the_backup_then_the_team_lead_then_a_report(
    app, clock, twilio, session
):
    to_the_dial(twilio, "CA-bh2")
    # Pat's phone answered, but nobody pressed 1 (the whisper hung up): on to the backup.
    declined = twilio.voice("/voice/whisper/CA-bh2/answered?attempt=4", "CA-c2", caller=PAT_PHONE)
    assert declined.verbs == ["Hangup"]
    backup = twilio.voice("/voice/answer/put_through?turn=4", "CA-bh2", DialCallStatus="completed")
    assert backup.heard == ["Trying the next person for Canvas. Please hold."]
    assert backup.first("Dial").find("Number").text == SAM_PHONE
    lead = twilio.voice("/voice/answer/put_through?turn=5", "CA-bh2", DialCallStatus="no-answer")
    assert lead.first("Dial").find("Number").text == TEAM_LEAD_LINE
    report = twilio.voice("/voice/answer/put_through?turn=6", "CA-bh2", DialCallStatus="busy")
    assert (
        report.heard[0] == "Nobody could take the call right now, so let's take a report instead."
    )
    assert report.text.endswith("Please describe what is wrong.")
    answers = [
        ("description", {"SpeechResult": "grades will not save"}),
        ("started", {"SpeechResult": "this morning"}),
        ("last_worked", {"SpeechResult": "yesterday"}),
        ("impact", {"Digits": "2"}),
        ("responsible", {"SpeechResult": "Dana Smith"}),
        ("callback", {"Digits": "1"}),
        ("review", {"Digits": "1"}),
    ]
    for turn, (step, params) in enumerate(answers, start=7):
        twilio.voice(f"/voice/answer/{step}?turn={turn}", "CA-bh2", **params)
    incident = the_incident(session)
    assert incident.business_hours and incident.responsible_party == "Dana Smith"
    run_worker(app, clock)
    # The business-hours chain: the service's own administrator first (Pat for Canvas).
    assert paged(session) == [("Pat", "sms", "sent")]
    clock.advance(minutes=30)
    run_worker(app, clock)
    assert [(who, channel) for who, channel, _ in paged(session)] == [
        ("Pat", "sms"),
        ("Jordan", "sms"),
        ("Jordan", "voice"),
    ]


def test_a_summary_of_business_hours_work_goes_to_the_director(app, clock, twilio, session):
    twilio.call(
        "press 2",
        "say canvas",
        "press 1",
        "say grades will not save",
        "say today",
        "say yesterday",
        "press 2",
        "say Dana",
        "press 1",
        "press 1",
    )
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    text(twilio, PAT, "1r cleared the cache")
    assert text(twilio, PAT, "SUM 1001 1 cleared the cache") == (
        "Summary for AH-1001 saved (1h00) and sent to Morgan Chen (director)."
    )
    run_worker(app, clock)
    sent = [(to, subject) for to, subject, _ in runtime(app).mailer.sent]
    assert sent == [("morgan@example.edu", "Work summary AH-1001: Canvas")]


def test_the_catalog_names_administrators_from_the_roster(runner, session, tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "services:\n  - {slug: wiki, name: Team wiki, primary_admin: Alex Kim, "
        "backup_admin: Sam Ortiz}\n"
    )
    assert runner.invoke(args=["catalog", "load", str(path)]).exit_code == 0
    wiki = session.scalar(select(Service).where(Service.slug == "wiki"))
    assert (wiki.primary_admin.name, wiki.backup_admin.name) == ("Alex Kim", "Sam Ortiz")
    path.write_text("services:\n  - {slug: wiki, name: Team wiki, primary_admin: Nobody Here}\n")
    result = runner.invoke(args=["catalog", "load", str(path)])
    assert result.exit_code != 0
    assert "service wiki: primary_admin 'Nobody Here' is not in the roster" in result.output


def test_a_cas_claim_is_recorded_and_counts_only_where_trusted(twilio, session, clock, app):
    clock.set(dt.datetime(2026, 11, 28, 2, 0, tzinfo=CHICAGO))  # after hours
    script = (
        "say vpn",
        "press 1",
        "say cannot connect",
        "say now",
        "say at nine",
        "press 3",
        "say me",
        "press 1",
        "press 1",
        "press 1",
    )
    transcript = twilio.call(*script, caller="+13195550177")
    assert "Are you a CAS customer? Press 1 for yes, 2 for no." in transcript.text
    incident = the_incident(session)
    assert (incident.cas_claimed, incident.priority_customer, incident.priority) == (True, False, 3)
    assert incident.events[0].detail.endswith("CAS customer (said so); priority unchanged")
    assert text(twilio, PAT, "INFO 1001").startswith("AH-1001 P3 CAS (said so) VPN, open")
    run_worker(app, clock)
    [page] = [n.body for n in notifications(session, "page")]
    assert page.startswith("AH-1001 P3 CAS (said so) VPN:")
