"""The promise is contact with the caller within 60 minutes, not an acknowledgement: an owner
who has not reached the caller is reminded before the goal, and when it passes the team lead is
told and the caller hears honestly where things stand. The dashboard counts the goal as met on
first contact."""

from __future__ import annotations

from app.context import runtime
from tests.accounts import make_accounts, sign_in
from tests.paging_support import JORDAN, PAT, report_outage, run_worker, text, the_incident
from tests.support import CALLER


def sms_to(gateway, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [body for channel, to, body in gateway.sent if to == number and channel == "sms"]


def goal_on_page(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/incidents/AH-1001").get_data(as_text=True)
    return page.split("60-min goal: ", 1)[1].split("<", 1)[0]


def test_acknowledged_but_never_contacted_reminds_then_tells_the_lead_and_the_caller(
    app, clock, twilio, gateway, client, session
):
    make_accounts(app, clock)
    sign_in(client, "jordan")
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=5)
    assert text(twilio, PAT, "1a").startswith("AH-1001 acknowledged")
    run_worker(app, clock)
    gateway.sent.clear()
    clock.advance(minutes=39)  # 44 min after the report: not yet
    run_worker(app, clock)
    assert sms_to(gateway, PAT) == []
    clock.advance(minutes=1)  # 45 min: fifteen left
    run_worker(app, clock)
    assert sms_to(gateway, PAT) == [
        "AH-1001: 15 min left to reach the caller (60-minute goal). Reply CALL 1001 to be put "
        "through to (319) 555-0142, or CONTACTED 1001 once you have spoken."
    ]
    assert goal_on_page(client) == "waiting"  # acknowledged is not met
    clock.advance(minutes=15)  # 60 min: the goal has passed without contact
    run_worker(app, clock)
    [to_lead] = sms_to(gateway, JORDAN)
    assert to_lead == (
        "AH-1001 Canvas: acknowledged by Pat Lee at 02:05 CST, but nobody has reached the "
        "caller in 60 min. Caller: (319) 555-0142."
    )
    assert "caller not reached" in {
        subject.split(": ")[1] for _, subject, _ in runtime(app).mailer.sent
    }
    assert sms_to(gateway, CALLER)[-1] == (
        "AH-1001: the administrator has your report about Canvas but has not reached you yet. "
        "If it is urgent, call the help desk at 319-384-4357."
    )
    kinds = [e.kind for e in the_incident(session).events]
    assert kinds.count("contact-reminder") == 1 and kinds.count("contact-overdue") == 1
    assert goal_on_page(client) == "late"
    # Said once: the next passes add nothing.
    gateway.sent.clear()
    clock.advance(minutes=30)
    run_worker(app, clock)
    assert sms_to(gateway, JORDAN) == [] and sms_to(gateway, CALLER) == []


def test_contact_before_the_goal_stops_the_reminders_and_meets_it(
    app, clock, twilio, gateway, client, session
):
    make_accounts(app, clock)
    sign_in(client, "jordan")
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=5)
    text(twilio, PAT, "1a")
    clock.advance(minutes=15)
    assert "contact" in (text(twilio, PAT, "CONTACTED 1001") or "").lower()
    gateway.sent.clear()
    clock.advance(minutes=50)
    run_worker(app, clock)
    assert sms_to(gateway, PAT) == [] and sms_to(gateway, JORDAN) == []
    assert the_incident(session).contact_check_at is None
    assert goal_on_page(client) == "met"
