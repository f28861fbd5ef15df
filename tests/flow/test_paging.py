"""Paging the on-call admin, walking the escalation chain, and the replies that stop it."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import select

from app.adapters.gateways import ConsoleGateway
from app.context import runtime
from app.models import (
    InboundMessage,
    Incident,
    Notification,
    OutboxStatus,
    Responder,
)
from app.paging import wakeup
from app.paging.delivery import CallbackUrls, send_due
from app.paging.gsm import gsm_length
from app.paging.policy import PolicyEntry, StepEntry, save_policy
from tests.paging_support import (
    ALEX,
    CASEY,
    JORDAN,
    PAT,
    SAM,
    notifications,
    paged,
    queue_receipts,
    report_outage,
    responder,
    run_worker,
    text,
    the_incident,
)
from tests.support import CALLER, PUBLIC


def test_the_first_page_is_written_with_the_incident(twilio, session):
    report_outage(twilio)
    # Before any worker has run, the page is already a row, due now.
    [page] = notifications(session, "page")
    assert (page.responder.name, page.channel, page.status) == ("Pat Lee", "sms", "queued")
    assert page.due_at == the_incident(session).created_at
    [caller_text] = notifications(session, "caller")
    assert caller_text.to_number == CALLER
    assert "AH-1001" in caller_text.body and "within 60 minutes" in caller_text.body


def test_the_worker_sends_the_page_and_the_callers_text(app, clock, twilio, session, gateway):
    report_outage(twilio)
    result = run_worker(app, clock)
    assert result.sent == 2
    sms = {to: body for kind, to, body in gateway.sent if kind == "sms"}
    page = sms[PAT]
    assert gsm_length(page) <= 160
    assert page.startswith("AH-1001 P1 CAS Canvas: students get an error page when they log in.")
    assert "Call (319) 555-0142." in page
    assert page.endswith("Reply 1a ack, 1r fixed")
    assert sms[CALLER].startswith("AH-1001: we received your report about Canvas.")
    assert paged(session) == [("Pat", "sms", "sent")]
    assert run_worker(app, clock).sent == 0  # nothing is sent twice


def test_the_default_chain_minute_by_minute(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    expected = {
        14: [],
        15: [("Pat", "sms")],
        29: [],
        30: [("Pat", "voice")],
        59: [],
        60: [("Alex", "sms"), ("Alex", "voice"), ("Jordan", "sms"), ("Jordan", "voice")],
        89: [],
        90: [("Morgan", "sms"), ("Morgan", "voice")],
        # The chain has run out: the escalated steps are paged again every 30 minutes until
        # someone acknowledges; the chain never just ends.
        119: [],
        120: ESCALATED_AGAIN,
        149: [],
        150: ESCALATED_AGAIN,
    }
    seen = len(paged(session))
    minute = 0
    for at, new in expected.items():
        clock.advance(minutes=at - minute)
        minute = at
        run_worker(app, clock)
        pages = paged(session)
        assert [(who, channel) for who, channel, _ in pages[seen:]] == new, f"at {at} min"
        assert all(status == "sent" for *_, status in pages[seen:])
        seen = len(pages)
        assert the_incident(session).escalated is (at >= 60)
    kinds = [event.kind for event in the_incident(session).events]
    assert kinds.count("escalation-step") == 5 + 2 * 2
    assert kinds.count("escalation-ended") == 1


ESCALATED_AGAIN = [
    ("Alex", "sms"),
    ("Alex", "voice"),
    ("Jordan", "sms"),
    ("Jordan", "voice"),
    ("Morgan", "sms"),
    ("Morgan", "voice"),
]


def test_when_the_chain_runs_out_the_leads_hear_who_was_tried(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    for minutes in (15, 15, 30, 30, 30):
        clock.advance(minutes=minutes)
        run_worker(app, clock)
    notices = [n for n in notifications(session, "notice") if "nobody has acknowledged" in n.body]
    assert sorted(n.responder.first_name for n in notices) == ["Jordan", "Morgan"]
    # A text and a call at once are one page: each of the others was paged once.
    assert "Tried Pat Lee 3x, Alex Kim 1x, Jordan Reyes 1x, Morgan Chen 1x." in notices[0].body
    assert "Paging again every 30 min" in notices[0].body
    mails = runtime(app).mailer.sent
    # The team lead and the director, each with an address, get the same account.
    assert [to for to, _, _ in mails] == ["jordan@example.edu", "morgan@example.edu"]
    (_, subject, body), _ = mails
    assert "no acknowledgement after 120 min" in subject
    assert "opening: sms to Pat Lee: sent" in body


def test_escalated_pages_say_where_the_chain_stands(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    for minutes in (15, 15, 30):
        clock.advance(minutes=minutes)
        run_worker(app, clock)
    bodies = {(n.responder.first_name, n.channel): n.body for n in notifications(session, "page")}
    # The first reminder is REMINDER 1.
    assert bodies["Pat", "sms"].startswith("REMINDER 1, no ack 15 min. AH-1001 P1 CAS Canvas")
    escalated = bodies["Alex", "sms"]
    assert escalated.startswith("ESCALATED, no ack 60 min, tried Pat Lee 3x. AH-1001 P1")
    assert gsm_length(escalated) <= 160 and "Reply 1a ack" in escalated


def test_a_worker_back_after_a_gap_pages_only_the_current_step(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=100)  # no worker ran for 100 minutes
    run_worker(app, clock)
    assert paged(session)[1:] == [("Morgan", "sms", "sent"), ("Morgan", "voice", "sent")]
    skipped = [e.detail for e in the_incident(session).events if e.kind == "escalation-skipped"]
    assert [d.split(" (")[0] for d in skipped] == ["step 2", "step 3", "step 4"]
    assert all("no worker was running" in d for d in skipped)


def test_at_60_minutes_unanswered_the_caller_hears_honestly(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=59)
    run_worker(app, clock)
    assert not [n for n in notifications(session, "caller") if "still trying" in n.body]
    clock.advance(minutes=1)
    run_worker(app, clock)
    [still] = [n for n in notifications(session, "caller") if "still trying" in n.body]
    assert still.body.startswith("AH-1001: we are still trying to reach the on-call")
    assert "call the help desk at 319-384-4357" in still.body
    clock.advance(minutes=60)
    run_worker(app, clock)
    assert len([n for n in notifications(session, "caller") if "still trying" in n.body]) == 1


def save_default_chain(app, *steps: StepEntry) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), app.extensions["db"].begin() as db:
        save_policy(db, PolicyEntry(name="default", steps=list(steps)))


def test_a_drill_with_second_long_waits(app, clock, twilio, session):
    save_default_chain(
        app,
        StepEntry(after="0s", notify=["primary"]),
        StepEntry(after="10s", notify=["secondary"]),
        StepEntry(after="20s", notify=["team_lead"], escalate=True),
    )
    report_outage(twilio)
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat"]
    clock.advance(seconds=9)
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat"]
    clock.advance(seconds=1)
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat", "Alex"]
    clock.advance(seconds=10)
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat", "Alex", "Jordan"]
    assert the_incident(session).escalated


def test_an_idle_worker_wakes_when_the_next_step_is_due_not_at_its_next_poll(
    app, clock, twilio, session
):
    """The worker polls every 60 s here; the second step, 2 s after the first, still leaves
    about 2 s later, because the worker waits only until the next step is due."""
    save_default_chain(
        app,
        StepEntry(after="0s", notify=["primary"]),
        StepEntry(after="2s", notify=["secondary"]),
    )
    report_outage(twilio)
    with app.extensions["db"].sessionmaker() as db:
        assert wakeup.seconds_to_next(db, clock.now(), 60) == 2.0
        assert wakeup.seconds_to_next(db, clock.now(), 0.5) == 0.5
    worker = runtime(app).worker(app.extensions["db"].sessionmaker)
    serving = threading.Thread(target=worker.serve, args=(60,))
    serving.start()
    try:
        deadline = time.monotonic() + 10
        # Its passes done and Pat paged, the worker waits (about 2 s, until the next step).
        assert worker.idle.wait(10)
        assert [who for who, *_ in paged(session)] == ["Pat"]
        clock.advance(seconds=2)  # the test's clock; the worker's wait is real time
        while len(paged(session)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stopping.set()
        serving.join(5)
    assert [who for who, *_ in paged(session)] == ["Pat", "Alex"]


def test_acknowledging_stops_the_chain_and_tells_the_caller(app, clock, twilio, session, gateway):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=15)
    run_worker(app, clock)
    clock.advance(minutes=5)
    reply = text(twilio, PAT, "1a")
    assert reply == (
        "AH-1001 acknowledged at 02:20 CST (20 min after it opened). "
        "Call the caller: (319) 555-0142."
    )
    incident = the_incident(session)
    assert incident.state == "acknowledged"
    assert incident.owner.name == "Pat Lee"
    assert incident.time_to_acknowledge.total_seconds() == 20 * 60
    assert incident.next_escalation_at is None
    clock.advance(minutes=120)
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat", "Pat"]  # 0 and 15 min only
    caller_texts = [body for kind, to, body in gateway.sent if to == CALLER]
    assert caller_texts[-2].startswith("AH-1001: your report about Canvas is being worked on.")
    # Nobody recorded contact with them by the 60-minute goal: they are told so.
    assert caller_texts[-1].startswith("AH-1001: the administrator has your report about")
    ack = next(e for e in incident.events if e.kind == "acknowledged")
    assert (ack.actor, ack.channel) == ("Pat Lee", "sms")


def test_a_late_acknowledgement_hears_who_took_it(app, clock, twilio, session, gateway):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=61)
    run_worker(app, clock)  # Alex and Jordan are paged now
    gateway.sent.clear()
    assert text(twilio, PAT, "ack").startswith("AH-1001 acknowledged at 03:01")
    run_worker(app, clock)
    told = {to: body for kind, to, body in gateway.sent if kind == "sms"}
    assert told[ALEX] == "AH-1001 was acknowledged by Pat Lee at 03:01 CST. No action needed."
    assert told[JORDAN] == told[ALEX]
    clock.advance(minutes=2)
    assert text(twilio, ALEX, "ACK AH-1001") == (
        "AH-1001 was already acknowledged by Pat Lee at 03:01 CST."
    )
    assert text(twilio, PAT, "1a") == "AH-1001 was already acknowledged by you at 03:01 CST."


def test_resolve_with_a_note(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=40)
    reply = text(twilio, PAT, "1r restarted the app pool, students can log in")
    assert reply == (
        "AH-1001 marked resolved at 02:40 CST. 1 caller asked to confirm; CLOSE 1001 once they do."
    )
    incident = the_incident(session)
    assert incident.state == "resolved"
    assert incident.resolution_note == "restarted the app pool, students can log in"
    assert incident.acknowledged_at is not None  # resolving implies acknowledging
    assert [e.kind for e in incident.events][-2:] == ["acknowledged", "resolved"]


def test_escalate_now_pages_the_next_step_at_once(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=2)
    # ESC means someone else, now: the steps that would page Pat again are passed over.
    assert text(twilio, PAT, "1e") == "AH-1001 escalated: paging Alex Kim, Jordan Reyes now."
    run_worker(app, clock)
    assert [(who, channel) for who, channel, _ in paged(session)] == [
        ("Pat", "sms"),
        ("Alex", "sms"),
        ("Alex", "voice"),
        ("Jordan", "sms"),
        ("Jordan", "voice"),
    ]
    escalated = next(e for e in the_incident(session).events if e.actor == "Pat Lee")
    assert escalated.detail == "escalated on request to step 4 (skipping 2 steps)"
    # The rest of the chain keeps its times: the director still comes at 90 minutes.
    clock.advance(minutes=88)
    run_worker(app, clock)
    assert paged(session)[-1][:2] == ("Morgan", "voice")


def test_escalate_from_the_last_step_goes_to_the_leads_not_back_to_oneself(
    app, clock, twilio, session
):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=2)
    # A team lead escalating: the next step that reaches someone else is the primary's reminder.
    assert text(twilio, JORDAN, "ESC 1001") == "AH-1001 escalated: paging Pat Lee now."
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat", "Pat"]


def test_info_list_and_commands(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=5)
    details = text(twilio, PAT, "1i")
    assert details.startswith("AH-1001 P1 Canvas, open, opened 5 min ago.")
    assert "Caller: (319) 555-0142." in details
    assert text(twilio, PAT, "details 1001") == details
    assert text(twilio, PAT, "LIST") == "Open: AH-1001 (1) P1 Canvas unacked"
    assert text(twilio, JORDAN, "list") == "Open: AH-1001 P1 Canvas unacked"
    assert text(twilio, PAT, "commands").startswith("Reply 12a ack, 12r resolve")
    hint = text(twilio, PAT, "on my way")
    assert hint.startswith('Sorry, "on my way" is not a command. Reply 12a ack')


def test_only_what_a_responder_may_act_on(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    assert text(twilio, SAM, "ACK 1001") == (
        "AH-1001 was not paged to you. Reply TAKE AH-1001 to take it over."
    )
    assert the_incident(session).state == "open"
    assert text(twilio, SAM, "ack") == "You have no pages to answer. Reply LIST for open incidents."
    assert text(twilio, SAM, "9a").startswith("No incident has code 9 for you.")
    assert text(twilio, PAT, "ack 1999") == "There is no incident AH-1999."
    # The team lead may act on anything.
    assert text(twilio, JORDAN, "ACK 1001").startswith("AH-1001 acknowledged")


def test_take_over_tells_the_previous_owner(app, clock, twilio, session, gateway):
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    gateway.sent.clear()
    assert text(twilio, SAM, "take over AH-1001") == (
        "AH-1001 is yours now. Caller: (319) 555-0142."
    )
    run_worker(app, clock)
    assert ("sms", PAT, "Sam Ortiz took over AH-1001 at 02:00 CST.") in gateway.sent
    assert the_incident(session).owner.name == "Sam Ortiz"
    assert text(twilio, SAM, "take 1001") == "AH-1001 is already yours."


def test_unknown_numbers_get_no_action_and_no_details(app, clock, twilio, session):
    report_outage(twilio)
    assert text(twilio, "+15555550100", "ACK 1001") is None
    assert text(twilio, "+15555550100", "LIST") is None
    assert the_incident(session).state == "open"
    stored = session.scalars(select(InboundMessage)).all()
    assert [m.responder_id for m in stored] == [None, None]


def test_a_message_delivered_twice_acts_once(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    first = text(twilio, PAT, "1a", sid="SM-twice")
    clock.advance(minutes=1)
    again = text(twilio, PAT, "1a", sid="SM-twice")
    assert first == again and first.startswith("AH-1001 acknowledged")
    kinds = [e.kind for e in the_incident(session).events]
    assert kinds.count("acknowledged") == 1


def test_reserved_keywords_are_never_commands_and_stop_moves_pages_to_voice(
    app, clock, twilio, session
):
    assert text(twilio, PAT, "STOP") is None
    assert responder(session, "Pat").sms_opted_out
    report_outage(twilio)
    run_worker(app, clock)
    assert paged(session) == [("Pat", "voice", "sent")]
    assert text(twilio, PAT, "HELP") is None
    assert text(twilio, PAT, "YES") is None  # opt back in (YES is an opt-in keyword)
    assert not responder(session, "Pat").sms_opted_out
    assert the_incident(session).state == "open"


def test_an_unverified_number_is_not_paged_and_verifies_by_code(
    app, clock, twilio, session, runner, gateway
):
    assert text(twilio, CASEY, "ack").startswith("Your number is not verified yet.")
    result = runner.invoke(args=["responders", "verify", "Casey New"])
    assert result.exit_code == 0, result.output
    run_worker(app, clock)
    [(_, _to, body)] = [entry for entry in gateway.sent if entry[1] == CASEY]
    code = body.split("code is ")[1][:6]
    assert text(twilio, CASEY, "000000").startswith("That code is not right (4 tries left)")
    assert text(twilio, CASEY, code) == (
        "Thanks Casey, your number is verified: pages will come here."
    )
    assert responder(session, "Casey").verified


def test_a_verification_code_expires_after_15_minutes(app, clock, twilio, session, runner, gateway):
    runner.invoke(args=["responders", "verify", "Casey New"])
    run_worker(app, clock)
    code = next(body for _, to, body in gateway.sent if to == CASEY).split("code is ")[1][:6]
    clock.advance(minutes=15, seconds=1)
    assert text(twilio, CASEY, f"VERIFY {code}").startswith("That code has expired")
    assert not responder(session, "Casey").verified


def test_nobody_on_call_pages_the_team_lead_instead(app, clock, twilio, session):
    with app.app_context(), app.extensions["db"].begin() as db:
        for person in db.scalars(select(Responder).where(Responder.role == "admin")):
            person.active = False
    report_outage(twilio)
    assert [who for who, *_ in paged(session)] == ["Jordan"]
    step = next(e for e in the_incident(session).events if e.kind == "escalation-step")
    assert "nobody else reachable, so paged Jordan Reyes" in step.detail


def test_the_console_gateway_says_who_each_message_is_for(capsys):
    # Nothing leaves the machine, and whoever tries the line must see who was paged.
    gateway = ConsoleGateway(name_of={PAT: "Pat Lee"}.get)
    gateway.send_sms(PAT, "hello", None)
    gateway.send_sms(CALLER, "your report", None)
    assert capsys.readouterr().out == (
        "[console SMS to Pat Lee +13195550101] hello\n[console SMS to +13195550142] your report\n"
    )


def test_api_shows_pages_with_channel_recipient_status_and_times(app, clock, twilio, client):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=7)
    text(twilio, PAT, "1a")
    detail = client.get(
        "/api/incidents/AH-1001", headers={"Authorization": "Bearer api-token-1"}
    ).get_json()
    [page] = detail["pages"]
    assert page["channel"] == "sms"
    assert page["recipient"] == {"name": "Pat Lee", "number": PAT}
    assert page["status"] == OutboxStatus.SENT
    assert page["due_at"].startswith("2026-11-28T08:00")
    assert page["sent_at"].startswith("2026-11-28T08:00")
    assert page["step"] == 1
    assert detail["acknowledged_at"].startswith("2026-11-28T08:07")
    assert detail["acknowledged_by"] == "Pat Lee"
    assert detail["time_to_acknowledge_seconds"] == 420
    assert detail["escalated"] is False


def test_a_policy_repeats_and_names_a_responder(app, clock, twilio, session):
    with app.app_context(), app.extensions["db"].begin() as db:
        save_policy(
            db,
            PolicyEntry(
                name="default",
                repeat=1,
                repeat_after="5m",
                steps=[
                    StepEntry(after="0m", notify=["primary"]),
                    StepEntry(after="10m", notify=["responder:Morgan Chen"], by="voice"),
                ],
            ),
        )
    report_outage(twilio)
    for minutes in (0, 10, 14, 15, 25, 29, 30, 35):
        clock.set(the_incident(session).created_at + dt.timedelta(minutes=minutes))
        run_worker(app, clock)
    # Run one at 0 and 10 minutes; run two (after 10 + 5 minutes) at 15 and 25; then the last
    # (escalated) step again every 5 minutes until someone acknowledges.
    assert [(who, channel) for who, channel, _ in paged(session)] == [
        ("Pat", "sms"),
        ("Morgan", "voice"),
        ("Pat", "sms"),
        ("Morgan", "voice"),
        ("Morgan", "voice"),
        ("Morgan", "voice"),
    ]
    assert the_incident(session).next_escalation_at is not None


def test_rows_the_pass_loaded_before_claiming_them_are_still_sent(app, clock, twilio, gateway):
    # A worker pass fires escalation steps and follow-ups before it sends, and those may load
    # the very notifications it then claims: the claim must not trust those stale copies.
    report_outage(twilio)
    with app.extensions["db"].sessionmaker() as session:
        loaded = session.scalars(select(Notification)).all()
        assert {n.status for n in loaded} == {"queued"}
        sent = send_due(session, clock, gateway, CallbackUrls(PUBLIC))
        assert sent == 2
        assert {n.status for n in loaded} == {"sent"}
    assert sorted(to for kind, to, _ in gateway.sent if kind == "sms") == sorted([PAT, CALLER])


def test_a_page_is_sent_before_receipts_that_were_waiting(app, clock, twilio, gateway):
    """Under a burst of callers' receipts, a new incident's page goes first."""
    queue_receipts(app, clock.now() - dt.timedelta(seconds=5), 5)
    report_outage(twilio)
    with app.extensions["db"].sessionmaker() as session:
        assert send_due(session, clock, gateway, CallbackUrls(PUBLIC), limit=2) == 2
    assert [to for _kind, to, _body in gateway.sent] == [PAT, "+13195550200"]


def test_a_long_batch_of_receipts_makes_way_for_a_page_queued_meanwhile(app, clock, twilio):
    """Each text takes 30 ms at the gateway: after 50 ms the pass gives back what it has not
    sent, and the next one sends the page that fell due in between first."""

    class SlowGateway(ConsoleGateway):
        def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
            clock.advance(seconds=0.03)
            return super().send_sms(to, body, status_callback)

    gateway = SlowGateway()
    queue_receipts(app, clock.now(), 6)
    with app.extensions["db"].sessionmaker() as session:
        assert send_due(session, clock, gateway, CallbackUrls(PUBLIC)) == 2
        statuses = session.scalars(select(Notification.status).order_by(Notification.id)).all()
        assert statuses == ["sent"] * 2 + ["queued"] * 4
    report_outage(twilio)  # its page falls due now
    with app.extensions["db"].sessionmaker() as session:
        assert send_due(session, clock, gateway, CallbackUrls(PUBLIC)) == 2
    assert [to for _kind, to, _body in gateway.sent][2:] == [PAT, "+13195550202"]


def test_a_policy_with_no_wait_between_rounds_still_waits_a_minute(app, clock, twilio, session):
    with app.app_context(), app.extensions["db"].begin() as db:
        save_policy(
            db,
            PolicyEntry(
                name="default",
                repeat_after="0m",
                steps=[StepEntry(after="0m", notify=["primary"], escalate=True)],
            ),
        )
    report_outage(twilio)
    run_worker(app, clock)
    for _ in range(3):
        clock.advance(seconds=61)
        run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat"] * 4


def test_a_bare_command_with_two_open_incidents_asks_which(app, clock, twilio, session):
    report_outage(twilio)
    twilio.call(
        "say the vpn",
        "press 1",
        "say nobody can connect",
        "say now",
        "press 1",
        "press 1",
        "press 1",
        caller="+13195550166",
    )
    run_worker(app, clock)
    which = text(twilio, PAT, "ACK")
    assert which.startswith("Which one? Reply 2a for AH-1002 VPN; 1a for AH-1001 Canvas")
    assert the_incident_states(session) == ["open", "open"]
    assert text(twilio, PAT, "'2a'").startswith("AH-1002 acknowledged at")
    # Now only one is open: the bare command means it.
    assert text(twilio, PAT, "a").startswith("AH-1001 acknowledged at")


def the_incident_states(session) -> list[str]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return [i.state for i in session.scalars(select(Incident).order_by(Incident.id))]
