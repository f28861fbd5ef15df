"""What callers and help-desk staff are told is what will happen: no promise of a call back
without a number, no "within 60 minutes" in business hours, no texted receipt to a number that
was not texted, and no reply by e-mail that nothing reads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.context import runtime
from app.models import Incident
from tests.accounts import STAFF_PIN, make_accounts
from tests.conftest import CHICAGO
from tests.paging_support import (
    PAT,
    confirm_address,
    notifications,
    report_outage,
    run_worker,
    text,
    the_incident,
)
from tests.support import CALLER, FULL_CANVAS_CALL

HELPDESK_PHONE = "+13193844357"
REPORT_FOR_A_CUSTOMER = (
    f"press {STAFF_PIN}",
    "say canvas",
    "press 1",
    "say the grade book shows an error",
    "say since midnight",
    "say at eleven",
    "press 2",
    "say the lab manager",
    "silence",  # no e-mail
)


@pytest.fixture
def accounts(app, clock):  # type: ignore[no-untyped-def]
    make_accounts(app, clock)


def test_staff_with_no_customer_number_store_none_and_hear_so(
    app, clock, twilio, session, accounts, gateway
):
    transcript = twilio.call(
        *REPORT_FOR_A_CUSTOMER,
        "press #",  # the customer has no number: pound alone
        "press 1",  # send the report
        caller=HELPDESK_PHONE,
        entry="/voice/staff",
    )
    heard = transcript.text
    assert "If the customer has no number and will call back, just press pound." in heard
    assert "No callback number: the customer will call the line back." in heard
    assert (
        "The on-call administrator has been paged. There is no number for the customer, so the "
        "customer should call the line again for news." in heard
    )
    assert "call the customer back within 60 minutes" not in heard
    assert "sent the reference by text message" not in heard
    incident = the_incident(session)
    assert incident.callback_number is None and incident.caller_number is None
    run_worker(app, clock)
    [page] = [n for n in notifications(session, "page") if n.channel == "sms"]
    assert "No callback number" in page.body and "4357" not in page.body
    # Nothing goes to the help desk's own phone as if it were the customer's.
    assert notifications(session, "caller") == []
    assert not any(to == HELPDESK_PHONE for _, to, _ in gateway.sent)


def test_staff_adding_to_an_open_incident_hear_what_applies_to_them(
    app, clock, twilio, session, accounts
):
    report_outage(twilio)
    transcript = twilio.call(
        f"press {STAFF_PIN}",
        "say canvas",
        "press 1",
        "press 1",  # add the customer's details to the open report
        "say their grade book is down too",
        "say since midnight",
        "say at eleven",
        "press 2",
        "say the lab manager",
        "silence",
        "press 3195550166",
        "press 1",
        "press 1",
        caller=HELPDESK_PHONE,
        entry="/voice/staff",
    )
    heard = transcript.text
    assert "The customer's details were added to incident A, H, 1, 0, 0, 1." in heard
    assert (
        "The administrator working on it will contact the customer at the number you gave." in heard
    )
    assert "will contact you" not in heard and "Your details" not in heard


def test_a_caller_with_no_number_is_not_promised_a_call_or_a_text(twilio, session):
    transcript = twilio.call(*FULL_CANVAS_CALL[:-2], caller="Anonymous")
    heard = transcript.text
    assert "We couldn't get a callback number" in heard
    assert (
        "We have no number to call you back on, so please call this line again for news, or "
        "the help desk at 3 1 9, 3 8 4, HELP." in heard
    )
    assert "We've texted it to you too." not in heard
    assert "will call you back within 60 minutes" not in heard
    assert session.scalars(select(Incident)).one().callback_number is None


def test_business_hours_callers_hear_the_aim_not_a_promise(app, clock, twilio, gateway):
    clock.set(dt.datetime(2026, 12, 1, 10, 30, tzinfo=CHICAGO))  # a Tuesday morning
    transcript = twilio.call("press 2", *FULL_CANVAS_CALL)
    heard = transcript.text
    assert "We aim to respond within 60 minutes, but it can take longer" in heard
    assert "will call you back within 60 minutes" not in heard
    run_worker(app, clock)
    [receipt] = [body for kind, to, body in gateway.sent if to == CALLER and kind == "sms"]
    assert "we aim to respond within 60 minutes" in receipt
    assert "will call you back within 60" not in receipt


def test_an_e_mailed_update_asks_for_no_reply_by_e_mail(app, clock, twilio, session):
    report_outage(twilio)
    text(twilio, CALLER, "dana@example.edu")
    confirm_address(app, clock, "dana@example.edu")
    text(twilio, PAT, "1a")
    text(twilio, PAT, "1r restarted the app servers")
    run_worker(app, clock)
    mails = [body for to, _, body in runtime(app).mailer.sent if to == "dana@example.edu"]
    fixed = next(body for body in mails if "is fixed" in body)
    assert "reply WORKS or BROKEN to the text message we sent to your phone" in fixed
    assert "Replies to this e-mail are not read." in fixed
    assert all("Replies to this e-mail are not read." in body for body in mails[1:])
    # By text, the same news still asks for a reply by text.
    assert any("Reply WORKS" in n.body for n in notifications(session, "caller"))


def test_a_caller_whose_e_mail_came_with_the_report_is_not_asked_for_it(
    app, clock, twilio, gateway, accounts
):
    twilio.call(
        *REPORT_FOR_A_CUSTOMER[:-1],
        "say dana dot smith at example dot e d u",
        "press 3195550166",
        "press 1",
        "press 1",
        caller=HELPDESK_PHONE,
        entry="/voice/staff",
    )
    run_worker(app, clock)
    [receipt] = [body for kind, to, body in gateway.sent if to == "+13195550166"]
    assert "we received your report" in receipt
    assert "Reply with your e-mail address" not in receipt


def test_after_a_reopening_the_summary_keeps_the_first_acknowledgement(
    app, clock, twilio, session, gateway
):
    report_outage(twilio)
    run_worker(app, clock)
    for _ in range(4):  # reminders, then the next step of the chain
        clock.advance(minutes=15)
        run_worker(app, clock)
    first_ack = clock.now()
    text(twilio, PAT, "ACK 1001")
    run_worker(app, clock)
    stand_down = [
        to for kind, to, body in gateway.sent if kind == "sms" and "No action needed" in body
    ]
    assert stand_down and PAT not in stand_down
    text(twilio, PAT, "RESOLVE 1001 restarted it")
    text(twilio, CALLER, "still broken")
    run_worker(app, clock)
    reopened_at = the_incident(session).reopened_at
    paged_since = {
        n.to_number
        for n in notifications(session, "page")
        if n.created_at >= reopened_at and n.to_number != PAT
    }
    clock.advance(minutes=3)
    text(twilio, PAT, "ACK 1001")
    run_worker(app, clock)
    again = [to for kind, to, body in gateway.sent if kind == "sms" and "No action needed" in body]
    # Told again: only those paged since the reopening.
    assert sorted(again[len(stand_down) :]) == sorted(paged_since)
    text(twilio, PAT, "RESOLVE 1001 restarted it again")
    text(twilio, PAT, "SUM 1001 1h restarted the app pool twice")
    run_worker(app, clock)
    [(_, _, summary)] = [m for m in runtime(app).mailer.sent if "Work summary" in m[1]]
    local = first_ack.astimezone(CHICAGO)
    assert f"Acknowledged: {local:%Y-%m-%d %H:%M}" in summary
    assert "Acknowledged again: " in summary
