"""An owner who cannot go on hands the incident on (ESC once acknowledged), and a reopened
incident's pages give the number of the caller who said it is still broken."""

from __future__ import annotations

from app.models import NotificationKind
from tests.flow.test_after_ack import sms_to
from tests.flow.test_outage import JOIN, caller
from tests.paging_support import (
    ALEX,
    JORDAN,
    PAT,
    notifications,
    paged,
    report_outage,
    run_worker,
    text,
    the_incident,
)
from tests.support import CALLER


def test_esc_on_an_acknowledged_incident_hands_it_to_the_next_person(
    app, clock, twilio, session, gateway
):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=5)
    text(twilio, PAT, "1a")
    run_worker(app, clock)
    told_callers = len(notifications(session, NotificationKind.CALLER))
    clock.advance(minutes=10)
    gateway.sent.clear()
    assert text(twilio, PAT, "1e") == (
        "AH-1001 handed on: no longer yours; paging Alex Kim, Jordan Reyes now."
    )
    incident = the_incident(session)
    assert (incident.state, incident.owner) == ("open", None)
    run_worker(app, clock)
    [page] = sms_to(gateway, ALEX)
    assert page.startswith("HANDED ON by Pat Lee. AH-1001 P1 CAS Canvas")
    assert page.endswith("Call (319) 555-0142. Reply 1a ack, 1r fixed")
    assert [e.kind for e in the_incident(session).events if e.actor == "Pat Lee"][-1] == (
        "handed-on"
    )

    clock.advance(minutes=3)
    gateway.sent.clear()
    assert text(twilio, ALEX, "1a").startswith("AH-1001 acknowledged at")
    run_worker(app, clock)
    incident = the_incident(session)
    assert (incident.state, incident.owner.name) == ("acknowledged", "Alex Kim")
    # The 60-minute goal keeps the first acknowledgement; the callers were already told it is
    # being worked on; Jordan, paged with Alex, stands down; Pat handed it on and knows.
    assert incident.time_to_acknowledge.total_seconds() == 5 * 60
    assert len(notifications(session, NotificationKind.CALLER)) == told_callers
    assert sms_to(gateway, JORDAN) == [
        "AH-1001 was acknowledged by Alex Kim at 02:18 CST. No action needed."
    ]
    assert sms_to(gateway, PAT) == []


def test_handed_on_and_unanswered_the_chain_goes_on(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=5)
    text(twilio, PAT, "1a")
    text(twilio, PAT, "1e")
    run_worker(app, clock)
    before = len(paged(session))
    # Nobody answers: the steps after the one that asked follow at their usual spacing.
    clock.advance(hours=2)
    run_worker(app, clock)
    later = paged(session)[before:]
    assert later and {who for who, *_ in later} - {"Pat"}


def test_esc_by_someone_else_on_an_acknowledged_incident_says_who_has_it(
    app, clock, twilio, session
):
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    reply = text(twilio, JORDAN, "ESC 1001")
    assert reply.startswith("AH-1001 was already acknowledged by Pat Lee at")
    assert the_incident(session).owner.name == "Pat Lee"


def test_a_reopened_page_gives_the_number_of_the_caller_who_said_it_is_broken(
    app, clock, twilio, session, gateway
):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=4)
    twilio.call(*JOIN, caller=caller(2))
    text(twilio, PAT, "1a")
    clock.advance(minutes=30)
    text(twilio, PAT, "1r restarted the app pool")
    run_worker(app, clock)
    clock.advance(minutes=10)
    gateway.sent.clear()
    text(twilio, caller(2), "BROKEN")
    run_worker(app, clock)
    [page] = sms_to(gateway, PAT)
    assert page.startswith("REOPENED. AH-1001")
    assert "Call (319) 555-2002." in page and CALLER not in page
    assert text(twilio, PAT, "1a").endswith("Call the caller: (319) 555-2002.")
