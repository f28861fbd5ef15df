"""When the fix does not hold or nobody answers: a reopened incident is plainly open again, an
unconfirmed resolution is chased and may close without the caller, a missing summary climbs to
the director, and every time a person reads is the team's local time with its zone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.context import runtime
from app.models import Email, Summary
from app.reports.monthly import monthly
from tests.accounts import make_accounts, sign_in
from tests.conftest import CHICAGO
from tests.flow.test_after_ack import acked_and_resolved, sms_to
from tests.paging_support import JORDAN, MORGAN, PAT, run_worker, text, the_incident
from tests.support import CALLER

AUTH = {"Authorization": "Bearer api-token-1"}


def test_a_reopened_incident_is_open_again_and_its_clock_restarts(
    app, clock, twilio, session, gateway, client
):
    acked_and_resolved(app, clock, twilio, gateway)  # acknowledged 5 min after opening
    clock.advance(minutes=30)
    text(twilio, CALLER, "still broken")
    incident = the_incident(session)
    assert (incident.state, incident.acknowledged_at) == ("open", None)
    assert incident.reopened_at == clock.now()
    gateway.sent.clear()
    run_worker(app, clock)
    [page] = sms_to(gateway, PAT)
    assert page.startswith("REOPENED. AH-1001 P1 CAS Canvas")
    # The summary is on hold: a day later nobody is told it is overdue.
    summary = session.scalars(select(Summary)).one()
    assert (summary.remind_at, summary.overdue_at) == (None, None)

    make_accounts(app, clock)
    sign_in(client, "jordan")
    listing = client.get("/").get_data(as_text=True)
    assert ">reopened</span>" in listing
    # Waiting for an acknowledgement again, counted from the reopening.
    assert "acked in" not in listing and ">0 min · " in listing
    page_html = client.get("/incidents/AH-1001").get_data(as_text=True)
    assert "the caller says it is still broken; waiting for an acknowledgement again" in page_html
    assert "On hold: due again once it is resolved again." in page_html

    clock.advance(minutes=70)
    assert text(twilio, PAT, "ACK 1001").startswith("AH-1001 acknowledged at")
    incident = the_incident(session)
    assert incident.time_to_acknowledge == dt.timedelta(minutes=70)
    # The month's report keeps the first acknowledgement for the goal, and counts it reopened.
    report = monthly(session, clock.now().date(), CHICAGO, clock.now())
    [measured] = report.acknowledge.measured
    assert measured.minutes == 5 and report.reopened == [incident]
    # Nobody has been in contact with the caller, more than 60 minutes on.
    assert "60-min goal: late" in client.get("/incidents/AH-1001").get_data(as_text=True)
    clock.advance(hours=26)
    run_worker(app, clock)
    assert not [b for b in sms_to(gateway, JORDAN) if "work summary" in b.lower()]


def test_unanswered_reminders_then_close_without_the_callers_word(
    app, clock, twilio, session, gateway, client
):
    acked_and_resolved(app, clock, twilio, gateway)
    early = text(twilio, PAT, "CLOSE 1001 NOREPLY")
    assert early.startswith("The caller may still answer: CLOSE 1001 NOREPLY works once")
    clock.advance(hours=2)
    run_worker(app, clock)
    [first] = [b for b in sms_to(gateway, PAT) if "not confirmed" in b]
    assert first.endswith("then CLOSE 1001 PHONE.")
    clock.advance(hours=22)
    run_worker(app, clock)
    second = [b for b in sms_to(gateway, PAT) if "not confirmed" in b][1]
    assert second.startswith("AH-1001 was resolved at Sat 02:40 CST but the caller has not")
    assert second.endswith("If you cannot reach them, reply CLOSE 1001 NOREPLY.")
    clock.advance(hours=48)
    run_worker(app, clock)
    assert len([b for b in sms_to(gateway, PAT) if "not confirmed" in b]) == 2  # no third
    assert text(twilio, PAT, "close 1001") == (
        "The caller has not confirmed AH-1001 yet. If they confirmed by phone, reply CLOSE 1001 "
        "PHONE. If they never answer, CLOSE 1001 NOREPLY."
    )
    assert text(twilio, PAT, "CLOSE 1001 NOREPLY").startswith(
        "AH-1001 closed without the caller's confirmation."
    )
    incident = the_incident(session)
    assert (incident.state, incident.confirmed_via, incident.confirmed_at) == (
        "closed",
        "noreply",
        None,
    )
    closed = incident.events[-1]
    assert closed.detail == "without the caller's confirmation: no reply to 2 reminders"
    detail = twilio.client.get("/api/incidents/AH-1001", headers=AUTH).get_json()
    assert detail["closed_without_confirmation"] is True
    assert detail["confirmed_via"] == "noreply"
    make_accounts(app, clock)
    sign_in(client, "jordan")
    html = client.get("/incidents/AH-1001").get_data(as_text=True)
    assert "No: closed without the caller's confirmation" in html
    text(twilio, PAT, "SUM 1001 1.5 restarted the app pool")
    run_worker(app, clock)
    [body] = [b for _, s, b in runtime(app).mailer.sent if s.startswith("Work summary AH-1001")]
    assert "Caller confirmed: no: closed without the caller's confirmation" in body


def test_a_summary_a_day_overdue_goes_to_the_director(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    clock.advance(hours=24)
    run_worker(app, clock)
    [lead] = sms_to(gateway, JORDAN)
    assert "was due Sun 29 Nov 02:40 CST and has not come in." in lead
    clock.advance(hours=23, minutes=59)
    run_worker(app, clock)
    assert not sms_to(gateway, MORGAN)
    clock.advance(minutes=1)
    run_worker(app, clock)
    [director] = sms_to(gateway, MORGAN)
    assert director == (
        "The work summary for AH-1001 (Canvas) from Pat Lee was due Sun 29 Nov 02:40 CST and "
        "has not come in (24 h late)."
    )
    run_worker(app, clock)
    assert len(sms_to(gateway, MORGAN)) == 1
    told = [e.detail for e in the_incident(session).events if e.kind == "summary-overdue"]
    assert told == ["told Jordan Reyes", "told Morgan Chen"]


def test_a_summary_sent_in_time_never_reaches_the_director(app, clock, twilio, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    clock.advance(hours=30)
    run_worker(app, clock)
    text(twilio, PAT, "SUM 1001 2 restarted the app pool")
    clock.advance(days=3)
    run_worker(app, clock)
    assert not sms_to(gateway, MORGAN)


def test_times_people_read_are_local_with_the_zone_in_winter_and_summer(
    app, clock, twilio, session, gateway, client
):
    clock.set(dt.datetime(2026, 7, 11, 2, 0, tzinfo=CHICAGO))  # daylight saving time
    acked_and_resolved(app, clock, twilio, gateway)
    [ask] = [b for b in sms_to(gateway, PAT) if "Work summary" in b]
    assert "due Sun 02:40 CDT" in ask
    path = ask.split("https://line.example.org")[1].split()[0]
    form = client.get(path).get_data(as_text=True)
    assert "<dd>Sun 12 Jul 02:40 CDT</dd>" in form
    text(twilio, PAT, "SUM 1001 1 restarted the app pool")
    run_worker(app, clock)
    [(_, _, body)] = runtime(app).mailer.sent
    assert "Reported: 2026-07-11 02:00 CDT" in body
    assert "Acknowledged: 2026-07-11 02:05 CDT" in body
    assert "Resolved: 2026-07-11 02:40 CDT" in body
    assert "UTC" not in body
    assert session.scalars(select(Email)).one().body == body
