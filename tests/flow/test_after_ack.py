"""After the acknowledgement: resolve, the caller confirms or says it is still broken, close,
the work summary by SMS and by form, and overdue summaries reaching the team lead."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from app.context import runtime
from app.models import Email, Responder, Summary
from tests.paging_support import (
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

AUTH = {"Authorization": "Bearer api-token-1"}


def acked_and_resolved(app, clock, twilio, gateway, minutes: int = 40) -> None:  # type: ignore[no-untyped-def]
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=5)
    text(twilio, PAT, "1a")
    clock.advance(minutes=minutes - 5)
    text(twilio, PAT, "1r restarted the app pool")
    gateway.sent.clear()
    run_worker(app, clock)


def sms_to(gateway, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [body for kind, to, body in gateway.sent if kind == "sms" and to == number]


def test_resolve_asks_the_caller_and_the_owner_for_the_summary(
    app, clock, twilio, session, gateway
):
    acked_and_resolved(app, clock, twilio, gateway)
    being_worked_on, ask = sms_to(gateway, CALLER)
    assert being_worked_on.startswith("AH-1001: your report about Canvas is being worked on.")
    assert ask == (
        "AH-1001: the on-call administrator reports Canvas is fixed. Reply WORKS if it works "
        "for you now, or BROKEN if it is still broken."
    )
    [request] = sms_to(gateway, PAT)
    assert request.startswith("Thanks. Work summary for AH-1001 due Sun 02:40 CST: reply SUM 1001")
    assert "https://line.example.org/summary/" in request
    summary = session.scalars(select(Summary)).one()
    assert (summary.due_at - the_incident(session).resolved_at).total_seconds() == 24 * 3600


def test_resolve_confirm_close(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    assert text(twilio, CALLER, "Works!") == (
        "Thank you. AH-1001 will be closed. Call the help desk if it breaks again."
    )
    incident = the_incident(session)
    assert (incident.confirmed_via, incident.reports[0].confirmation) == ("sms", "works")
    run_worker(app, clock)
    assert sms_to(gateway, PAT)[-1] == (
        "AH-1001: the caller confirmed it works. Reply CLOSE 1001 to close it."
    )
    assert text(twilio, PAT, "CLOSE 1001") == (
        "AH-1001 closed. The work summary is still due: SUM 1001 <hours> <work>."
    )
    incident = the_incident(session)
    assert incident.state == "closed" and incident.closed_at is not None
    kinds = [event.kind for event in incident.events]
    assert kinds[-2:] == ["confirmed", "closed"]
    confirmed = next(e for e in incident.events if e.kind == "confirmed")
    assert confirmed.channel == "sms"
    assert text(twilio, PAT, "1c") == "AH-1001 is already closed."


def test_closing_needs_the_callers_word_or_a_phone_confirmation(
    app, clock, twilio, session, gateway
):
    acked_and_resolved(app, clock, twilio, gateway)
    assert text(twilio, PAT, "1c") == (
        "The caller has not confirmed AH-1001 yet. If they confirmed by phone, reply CLOSE "
        "1001 PHONE."
    )
    assert the_incident(session).state == "resolved"
    assert text(twilio, PAT, "close 1001 phone").startswith("AH-1001 closed.")
    incident = the_incident(session)
    assert (incident.state, incident.confirmed_via) == ("closed", "phone")
    confirmed = next(e for e in incident.events if e.kind == "confirmed")
    assert (confirmed.actor, confirmed.detail) == ("Pat Lee", "the caller confirmed by phone")


def test_still_broken_reopens_and_pages_the_owner_again(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    pages_before = len(paged(session))
    assert text(twilio, CALLER, "still broken").startswith(
        "Sorry it is still broken. AH-1001 is reopened"
    )
    incident = the_incident(session)
    assert incident.state == "open" and incident.resolved_at is None
    run_worker(app, clock)
    assert paged(session)[pages_before:] == [("Pat", "sms", "sent")]
    # Unanswered, the chain resumes: the 15-minute step comes 15 minutes after the reopening.
    clock.advance(minutes=14)
    run_worker(app, clock)
    assert len(paged(session)) == pages_before + 1
    clock.advance(minutes=1)
    run_worker(app, clock)
    assert len(paged(session)) == pages_before + 2
    assert text(twilio, PAT, "1a").startswith("AH-1001 acknowledged")


def test_an_unconfirmed_resolution_is_surfaced_again(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    clock.advance(hours=1, minutes=59)
    run_worker(app, clock)
    assert not any("not confirmed" in body for body in sms_to(gateway, PAT))
    clock.advance(minutes=1)
    run_worker(app, clock)
    [nudge] = [body for body in sms_to(gateway, PAT) if "not confirmed" in body]
    assert nudge.startswith(
        "AH-1001 was resolved at Sat 02:40 CST but the caller has not confirmed."
    )
    assert "CALL 1001" in nudge and "CLOSE 1001 PHONE" in nudge
    clock.advance(hours=3)
    run_worker(app, clock)
    assert len([b for b in sms_to(gateway, PAT) if "not confirmed" in b]) == 1


def test_callers_get_a_hint_and_strangers_nothing(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    assert text(twilio, CALLER, "maybe?") == (
        "AH-1001: please reply WORKS if it works now, or BROKEN if not."
    )
    assert text(twilio, CALLER, "STOP") is None  # Twilio's keyword, never ours
    assert text(twilio, "+15555550100", "works") is None
    assert the_incident(session).state == "resolved"


def test_summary_by_sms_reaches_the_team_lead_by_email(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    assert text(twilio, PAT, "SUM 1001 lots of work") == (
        "Start with the time spent, then the work: SUM 1042 2.5 restarted the database"
    )
    reply = text(twilio, PAT, "SUM 1001 2h30 restarted the app pool and cleared the queue")
    assert reply == "Summary for AH-1001 saved (2h30) and sent to Jordan Reyes (team lead)."
    summary = session.scalars(select(Summary)).one()
    assert (summary.minutes, summary.channel) == (150, "sms")
    assert summary.work == "restarted the app pool and cleared the queue"
    run_worker(app, clock)
    [(to, subject, body)] = runtime(app).mailer.sent
    assert to == "jordan@example.edu"
    assert subject == "Work summary AH-1001: Canvas"
    assert "Work performed by Pat Lee:\nrestarted the app pool and cleared the queue" in body
    assert "Time spent: 2h30 (2.50 h)" in body
    detail = twilio.client.get("/api/incidents/AH-1001", headers=AUTH).get_json()
    assert detail["summary"]["hours"] == 2.5 and detail["summary"]["by"] == "Pat Lee"


def test_a_summary_nobody_can_be_emailed_says_so(app, clock, twilio, session, gateway):
    """The team lead has no e-mail address on the roster: the sender is told, not assured."""
    session.execute(update(Responder).where(Responder.name == "Jordan Reyes").values(email=""))
    session.commit()
    acked_and_resolved(app, clock, twilio, gateway)
    reply = text(twilio, PAT, "SUM 1001 45m restarted the app pool")
    assert reply == (
        "Summary for AH-1001 saved (45 min), but it could not be e-mailed to anyone: nobody on "
        "the roster who gets after-hours summaries has an e-mail address. Tell your team lead; "
        "it is saved on the incident's page."
    )
    assert session.scalars(select(Summary)).one().minutes == 45
    assert session.scalars(select(Email)).all() == []


def test_summary_before_resolution_is_refused(app, clock, twilio, session):
    report_outage(twilio)
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    assert text(twilio, PAT, "SUM 1001 1 looked") == (
        "AH-1001 is acknowledged: resolve it first (RESOLVE 1001)."
    )


class TestSummaryForm:
    def link(self, gateway) -> str:  # type: ignore[no-untyped-def]
        [request] = [b for b in sms_to(gateway, PAT) if "Work summary" in b]
        return re.search(r"https://line\.example\.org(/summary/\S+)", request)[1]

    def test_the_form_opens_and_submits(self, app, clock, twilio, session, gateway, client):
        acked_and_resolved(app, clock, twilio, gateway)
        path = self.link(gateway)
        page = client.get(path)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Work summary · AH-1001" in html and 'name="viewport"' in html
        key = re.search(r'name="form_key" value="([0-9a-f]+)"', html)[1]
        bad = client.post(path, data={"form_key": key, "hours": "lots", "work": "fixed it"})
        assert bad.status_code == 400
        assert "is not a time like 2.5" in bad.get_data(as_text=True)
        assert "fixed it" in bad.get_data(as_text=True)  # nothing typed is lost
        done = client.post(path, data={"form_key": key, "hours": "1.75", "work": "fixed it"})
        assert done.status_code == 200
        assert "(1h45) is saved and sent to Jordan Reyes (team lead)." in done.get_data(
            as_text=True
        )
        summary = session.scalars(select(Summary)).one()
        assert (summary.minutes, summary.channel) == (105, "dashboard")
        assert session.scalars(select(Email)).one().to_address == "jordan@example.edu"

    def test_a_tampered_link_is_refused_with_a_clear_page(
        self, app, clock, twilio, gateway, client
    ):
        acked_and_resolved(app, clock, twilio, gateway)
        path = self.link(gateway)
        tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        page = client.get(tampered)
        assert page.status_code == 403
        assert "This link is not valid" in page.get_data(as_text=True)
        assert client.get("/summary/nonsense").status_code == 403

    def test_an_expired_link_is_refused_with_a_clear_page(
        self, app, clock, twilio, gateway, client
    ):
        acked_and_resolved(app, clock, twilio, gateway)
        path = self.link(gateway)
        clock.advance(days=7, seconds=1)
        page = client.get(path)
        assert page.status_code == 410
        assert "This link has expired" in page.get_data(as_text=True)

    def test_a_form_without_its_key_is_refused(self, app, clock, twilio, gateway, client, session):
        acked_and_resolved(app, clock, twilio, gateway)
        response = client.post(self.link(gateway), data={"hours": "1", "work": "fixed it"})
        assert response.status_code == 403
        assert session.scalars(select(Summary)).one().submitted_at is None


def test_a_summary_reminder_then_the_team_lead_is_told(app, clock, twilio, session, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    clock.advance(hours=22)
    run_worker(app, clock)
    [reminder] = [b for b in sms_to(gateway, PAT) if b.startswith("Reminder")]
    assert reminder.startswith("Reminder: the work summary for AH-1001 is due at 02:40 CST.")
    assert not sms_to(gateway, JORDAN)
    clock.advance(hours=2)
    run_worker(app, clock)
    [told] = sms_to(gateway, JORDAN)
    assert told.startswith("The work summary for AH-1001 (Canvas) from Pat Lee was due")
    [(to, subject, _)] = runtime(app).mailer.sent
    assert (to, subject) == ("jordan@example.edu", "Overdue work summary: AH-1001")
    run_worker(app, clock)
    assert len(sms_to(gateway, JORDAN)) == 1  # told once
    assert "summary-overdue" in [e.kind for e in the_incident(session).events]
    assert notifications(session, "notice")


def test_callers_write_as_they_like_and_are_answered_after_closing(app, clock, twilio, gateway):
    acked_and_resolved(app, clock, twilio, gateway)
    assert "Thank you" in text(twilio, CALLER, "it works now thanks!")
    text(twilio, PAT, "CLOSE 1001")
    late = text(twilio, CALLER, "works.")
    assert late == (
        "AH-1001 is closed. If the problem is back, please call the help desk at 319-384-4357."
    )
