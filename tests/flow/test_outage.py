"""Many callers, one outage: later callers hear it is known and join it; no page storm."""

from __future__ import annotations

from sqlalchemy import select

from app.adapters.simulator import Answer, Ask, scripted
from app.models import CallerBroadcast, Email, EventKind, Incident, PriorityContact, Report
from tests.paging_support import PAT, notifications, paged, report_outage, run_worker, text
from tests.support import FULL_CANVAS_CALL, statements_on

JOIN = (
    "say canvas",
    "press 1",  # the service, confirmed
    "press 1",  # "we already have a report": add my details
    "say canvas will not load for me either",
    "say since two",
    "press 1",
    "press 1",
    "press 1",
)


def caller(n: int) -> str:
    return f"+1319555{2000 + n:04d}"


def test_a_second_caller_hears_it_is_known_and_joins(twilio, session, clock, app):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=4)
    transcript = twilio.call(*JOIN, caller=caller(2))
    assert (
        "We already have a report about Canvas from 2:00 AM, reference A, H, 1, 0, 0, 1. "
        "The on-call administrator has been paged."
    ) in transcript.text
    assert "To add your details to that report, press 1." in transcript.text
    assert "Your details were added to incident A, H, 1, 0, 0, 1." in transcript.text
    [incident] = session.scalars(select(Incident)).all()
    assert [r.callback_number for r in incident.reports] == ["+13195550142", caller(2)]
    assert incident.reports[1].description == "canvas will not load for me either"
    text(twilio, PAT, "1a")
    transcript = twilio.call(*JOIN, caller=caller(3))
    assert "An administrator is working on it." in transcript.text


def test_each_joining_caller_is_numbered_on_the_timeline(twilio, session, app, clock):
    """The entry names the caller's place in the count, a caller who hangs up mid-way too."""
    report_outage(twilio)
    for n in (2, 3):
        clock.advance(minutes=1)
        twilio.call(*JOIN, caller=caller(n))
    clock.advance(minutes=1)
    twilio.call(*JOIN[:4], "hangup", caller=caller(4))
    twilio.call(*JOIN, caller=caller(5))
    [incident] = session.scalars(select(Incident)).all()
    assert incident.callers == 4 + 1
    added = [e.detail for e in incident.events if e.kind == EventKind.REPORT_ADDED]
    assert added == ["caller 2", "caller 3", "caller 4; hung up before finishing", "caller 5"]


def test_a_different_problem_opens_its_own_incident(twilio, session, app, clock):
    report_outage(twilio)
    twilio.call(
        "say canvas",
        "press 1",
        "press 2",
        "say grades page is blank",
        "say today",
        "press 3",
        "press 1",
        "press 1",
        caller=caller(5),
    )
    assert len(session.scalars(select(Incident)).all()) == 2


def test_a_storm_of_30_callers_makes_one_incident_30_reports_and_few_pages(
    twilio, session, app, clock, gateway
):
    twilio.call(*FULL_CANVAS_CALL, caller=caller(1))
    run_worker(app, clock)
    for n in range(2, 31):
        clock.advance(minutes=1)
        twilio.call(*JOIN, caller=caller(n))
        run_worker(app, clock)
    clock.advance(minutes=2)
    run_worker(app, clock)

    [incident] = session.scalars(select(Incident)).all()
    assert len(incident.reports) == 30
    assert len({r.callback_number for r in incident.reports}) == 30
    # One page chain, as for a single caller: nobody acknowledged, so 0, 15 and 30 minutes.
    assert [(who, channel) for who, channel, _ in paged(session)] == [
        ("Pat", "sms"),
        ("Pat", "sms"),
        ("Pat", "voice"),
    ]
    updates = [n.body for n in notifications(session, "notice") if "callers now" in n.body]
    # At most one "N callers now" per 15 minutes across the half hour.
    assert updates == [
        "AH-1001 Canvas: 2 callers now.",
        "AH-1001 Canvas: 17 callers now.",
        "AH-1001 Canvas: 30 callers now.",
    ]
    # Every caller got their own confirmation text, and every one hears about the resolution.
    confirmations = {n.to_number for n in notifications(session, "caller")}
    assert confirmations == {caller(n) for n in range(1, 31)}
    text(twilio, PAT, "1r failed over to the standby")
    run_worker(app, clock)  # the worker tells every caller
    asked = [n.to_number for n in notifications(session, "caller") if "Reply WORKS" in n.body]
    assert sorted(asked) == sorted(caller(n) for n in range(1, 31))


def test_a_cas_callers_number_raises_the_priority(twilio, session, app, clock, gateway):
    with app.app_context(), app.extensions["db"].begin() as db:
        db.add(PriorityContact(number=caller(9), customer="CAS Research Computing"))
    twilio.call(
        "say sharepoint",
        "press 1",
        "say site down",
        "say now",
        "press 3",
        "press 1",
        "press 1",
        caller=caller(9),
    )
    incident = session.scalars(select(Incident)).one()
    assert (incident.priority, incident.priority_customer) == (2, True)
    run_worker(app, clock)
    [page] = [body for kind, to, body in gateway.sent if to == PAT]
    assert page.startswith("AH-1001 P2 CAS SharePoint:")


def test_api_shows_reports_confirmations_and_the_summary(twilio, session, app, clock, client):
    report_outage(twilio)
    twilio.call(*JOIN, caller=caller(2))
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    text(twilio, PAT, "1r fixed")
    text(twilio, caller(2), "works")
    text(twilio, PAT, "SUM 1001 0.5 restarted tomcat")
    detail = client.get("/api/incidents/AH-1001", headers={"Authorization": "Bearer api-token-1"})
    body = detail.get_json()
    assert [r["callback_number"] for r in body["reports"]] == ["+13195550142", caller(2)]
    assert body["confirmations"] == [
        {"callback_number": caller(2), "answer": "works", "at": body["confirmed_at"]}
    ]
    assert body["confirmed_via"] == "sms"
    assert body["summary"]["work"] == "restarted tomcat" and body["summary"]["hours"] == 0.5
    assert len(session.scalars(select(Report)).all()) == 2


def test_a_caller_who_joins_then_hangs_up_still_adds_their_report(twilio, session, app, clock):
    report_outage(twilio)
    twilio.call(
        "say canvas",
        "press 1",
        "press 1",
        "say it is down for my class",
        "hangup",
        caller=caller(4),
    )
    [incident] = session.scalars(select(Incident)).all()
    assert [r.incomplete for r in incident.reports] == [False, True]
    assert incident.reports[1].description == "it is down for my class"


def test_callers_who_began_before_the_first_report_join_it_at_the_end(twilio, session, app, clock):
    # A campus-wide failure: the second caller picked Canvas before anyone had reported it, so
    # nobody told them it was known; by the time they confirm, the first caller's report is in.
    script = scripted(FULL_CANVAS_CALL)
    asked = []

    def second_caller(ask: Ask) -> Answer:
        asked.append(ask)
        if len(asked) == len(FULL_CANVAS_CALL):  # the review: "press 1 if that is right"
            twilio.call(*FULL_CANVAS_CALL, caller=caller(1))
        return script(ask)

    transcript = twilio.call_answering(second_caller, caller=caller(2))
    assert "Your details were added to incident A, H, 1, 0, 0, 1." in transcript.text
    [incident] = session.scalars(select(Incident)).all()
    assert [r.callback_number for r in incident.reports] == [caller(1), caller(2)]
    run_worker(app, clock)
    assert [(who, channel) for who, channel, _ in paged(session)] == [("Pat", "sms")]


def test_hanging_up_at_the_known_outage_prompt_joins_it(twilio, session, app, clock, gateway):
    report_outage(twilio)
    run_worker(app, clock)
    twilio.call("say canvas", "press 1", "hangup", caller=caller(6))
    run_worker(app, clock)
    [incident] = session.scalars(select(Incident)).all()  # no second incident, no second chain
    assert [r.callback_number for r in incident.reports] == ["+13195550142", caller(6)]
    assert [who for who, *_ in paged(session)] == ["Pat"]


def test_every_caller_of_an_outage_hears_it_was_taken(twilio, session, app, clock):
    report_outage(twilio)
    twilio.call(*JOIN, caller=caller(7))
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    run_worker(app, clock)
    worked_on = [
        n.to_number for n in notifications(session, "caller") if "is being worked on" in n.body
    ]
    assert sorted(worked_on) == sorted(["+13195550142", caller(7)])


def test_every_caller_hears_when_a_fix_does_not_hold(twilio, session, app, clock):
    report_outage(twilio)
    twilio.call(*JOIN, caller=caller(7))
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    text(twilio, PAT, "1r restarted it")
    run_worker(app, clock)
    asked = [n.to_number for n in notifications(session, "caller") if "is fixed" in n.body]
    assert sorted(asked) == sorted(["+13195550142", caller(7)])
    text(twilio, caller(7), "still broken")
    run_worker(app, clock)
    [told] = [n for n in notifications(session, "caller") if "another caller" in n.body]
    assert told.to_number == "+13195550142"
    assert told.body == (
        "AH-1001: another caller reports Canvas is still broken, so it is reopened and the "
        "administrator has been paged again."
    )


def worked_on(session) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.to_number for n in notifications(session, "caller") if "being worked on" in n.body]


def metric(client, name: str) -> str:  # type: ignore[no-untyped-def]
    """One sample of /metrics, by its name and labels: `afterhours_outbox_waiting{kind="mail"}`."""
    shown = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"})
    [line] = [x for x in shown.get_data(as_text=True).splitlines() if x.startswith(name + " ")]
    return line.split()[1]


NEWS_WAITING = 'afterhours_outbox_waiting{kind="callers-news"}'
NEWS_PARKED = 'afterhours_outbox_parked{kind="callers-news"}'


def test_the_acknowledgement_answers_at_once_and_the_worker_tells_the_callers(
    twilio, session, app, clock, client
):
    """The admin's reply does not wait on texting every caller of the outage: the webhook writes
    one row of news, and the worker's next pass turns it into one text per caller."""
    report_outage(twilio)
    for n in range(1, 6):
        twilio.call(*JOIN, caller=caller(n))
    run_worker(app, clock)
    with statements_on(app.extensions["db"].engine) as seen:
        assert text(twilio, PAT, "1a").startswith("AH-1001 acknowledged")
    assert not [s for s in seen if s.startswith("INSERT INTO notifications")]
    assert worked_on(session) == []
    assert metric(client, NEWS_WAITING) == "1.0"
    run_worker(app, clock)
    assert metric(client, NEWS_WAITING) == "0.0"
    assert sorted(worked_on(session)) == sorted(["+13195550142", *map(caller, range(1, 6))])
    run_worker(app, clock)  # told once
    assert len(worked_on(session)) == 6


def test_news_that_keeps_failing_is_set_aside_and_the_worker_goes_on(
    twilio, session, app, clock, caplog, client
):
    """A report kept from before numbers were checked, with a number no phone library reads:
    the acknowledgement still answers, the news for the callers is tried three times and set
    aside with an error logged, and the worker's other work goes on."""
    report_outage(twilio)
    run_worker(app, clock)
    incident = session.scalars(select(Incident)).one()
    session.add(
        Report(
            incident=incident,
            source="phone",
            created_at=clock.now(),
            caller_number="0000",
            callback_number="0000",
        )
    )
    session.commit()
    assert text(twilio, PAT, "1a").startswith("AH-1001 acknowledged")
    for _ in range(5):
        run_worker(app, clock)
        clock.advance(minutes=1)  # past each retry's backoff
    session.expire_all()
    news = session.scalars(select(CallerBroadcast)).one()
    # Set aside, not tried again and again.
    assert (news.attempts, news.status, news.sent_at) == (3, "parked", None)
    assert "caller news taken for incident" in caplog.text
    # The leads hear of it once each, with the error.
    told = session.scalars(select(Email).where(Email.subject.startswith("Set aside"))).all()
    assert told and len({e.to_address for e in told}) == len(told)
    assert {e.subject for e in told} == {
        f"Set aside after 3 tries: caller news taken for incident {incident.id}"
    }
    assert all("NumberParseException" in e.body for e in told)
    assert metric(client, NEWS_PARKED) == "1.0"
    assert metric(client, NEWS_WAITING) == "0.0"
    twilio.call(*JOIN, caller=caller(9))
    run_worker(app, clock)
    [receipt] = [n for n in notifications(session, "caller") if n.to_number == caller(9)]
    assert receipt.status == "sent"
