"""Every incident is also a ticket: the outbox, in order and once, through a signed webhook; the
ticketing system down for an incident's whole life; its news coming back to the line."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from app import create_app
from app.adapters.simulator import Answer, Ask, scripted
from app.config import ConfigError
from app.context import runtime
from app.models import Email, EventKind, IncidentState, NotificationKind, TicketUpdate
from app.tickets import signing
from tests.accounts import make_accounts, sign_in
from tests.conftest import _seed
from tests.flow.test_staff_and_api import HELPDESK_PHONE, STAFF_CALL
from tests.paging_support import JORDAN, PAT, notifications, report_outage, text, the_incident
from tests.servers import free_port
from tests.support import TwilioClient
from tests.ticket_support import Receiver, send_tickets, webhook_receiver, whole_life

API = {"Authorization": "Bearer api-token-1"}
INBOUND_TOKEN = "inbound-token-0123456789"
INBOUND_SECRET = "inbound-secret-0123456789"
LIFE = ["opened", "acknowledged", "resolved", "confirmed", "closed", "summary"]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: dict[str, object], port: int) -> dict[str, object]:
    return {
        **settings,
        "TICKETS_BACKEND": "webhook",
        "TICKETS_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "TICKETS_WEBHOOK_SECRET": "webhook-secret-0123456789",
        "TICKETS_ALERT_AFTER": 3,
        "TICKETS_INBOUND_TOKEN": INBOUND_TOKEN,
        "TICKETS_INBOUND_SECRET": INBOUND_SECRET,
    }


def test_every_step_reaches_the_ticketing_system_signed_in_order_and_once(app, clock, twilio, port):
    whole_life(app, clock, twilio)
    with webhook_receiver(port, Receiver()) as receiver:
        assert send_tickets(app) == len(LIFE)
        assert send_tickets(app) == 0
    assert receiver.forged == 0
    assert receiver.kinds() == LIFE
    opened, acknowledged, resolved, _, closed, summary = receiver.events
    assert opened["reference"] == "AH-1001"
    assert opened["subject"].startswith("[AH-1001] Canvas: P")
    assert "What is wrong: " in opened["description"]
    assert "Call back on: (319) 555-0142" in opened["description"]
    assert opened["link"] == "https://line.example.org/incidents/AH-1001"
    assert acknowledged["status"] == "open"
    assert acknowledged["text"].startswith("Acknowledged by Pat Lee (sms) at 2026-11-28 02:05 CST")
    assert resolved["status"] == "resolved" and "restarted the app pool" in resolved["text"]
    assert closed["status"] == "closed"
    assert summary["minutes_worked"] == 150
    assert summary["text"].startswith("Work summary from Pat Lee: 2h30 worked.")
    assert len({event["delivery"] for event in receiver.events}) == len(LIFE)


def test_the_ticket_id_shows_on_the_dashboard_and_in_the_api(app, clock, twilio, client, port):
    report_outage(twilio)
    answer = {"id": "HD-77", "url": "https://helpdesk.example.org/tickets/77"}
    with webhook_receiver(port, Receiver(answer=answer)):
        send_tickets(app)
    body = client.get("/api/incidents/AH-1001", headers=API).get_json()
    assert body["ticket"] == answer and body["ticket_pending"] is None
    make_accounts(app, clock)
    sign_in(client, "jordan")
    page = client.get("/incidents/AH-1001").get_data(as_text=True)
    assert '<a href="https://helpdesk.example.org/tickets/77" rel="noreferrer">HD-77</a>' in page
    assert "ticket pending" not in page


def test_a_link_that_is_not_a_web_address_is_not_kept(app, twilio, port, session):
    report_outage(twilio)
    with webhook_receiver(port, Receiver(answer={"id": "9", "url": "javascript:alert(1)"})):
        send_tickets(app)
    incident = the_incident(session)
    assert (incident.ticket_id, incident.ticket_url) == ("9", "")


def test_the_ticketing_system_down_for_a_whole_life_loses_nothing(
    app, clock, twilio, client, gateway, port, session
):
    whole_life(app, clock, twilio)
    # Paging never waited on the ticketing system.
    assert notifications(session, NotificationKind.PAGE)
    for _ in range(4):
        # Only the opening is tried: the rest wait behind it, in order.
        assert send_tickets(app) == 1
        clock.advance(hours=1)
    updates = session.scalars(select(TicketUpdate).order_by(TicketUpdate.id)).all()
    assert [u.kind.value for u in updates] == LIFE
    assert [u.attempts for u in updates] == [4, 0, 0, 0, 0, 0]
    assert "The webhook unreachable at http://127.0.0.1" in updates[0].last_error

    body = client.get("/api/incidents/AH-1001", headers=API).get_json()
    assert body["ticket_pending"]["updates"] == len(LIFE)
    assert body["ticket_pending"]["last_error"].startswith("The webhook unreachable")
    make_accounts(app, clock)
    sign_in(client, "jordan")
    page = client.get("/incidents/AH-1001").get_data(as_text=True)
    assert "ticket pending</span> 6 updates waiting" in page
    assert "Tickets are not\n    reaching the ticketing system" in page
    ready = client.get("/readyz").get_json()
    assert ready["tickets"].startswith("failing for 240 min (4 sends): The webhook unreachable")
    assert ready["gateway"] == "ok"  # paging is not the ticketing system
    metrics = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"})
    shown = metrics.get_data(as_text=True)
    assert 'afterhours_outbox_failing_seconds{system="tickets"} 14400.0' in shown
    assert 'afterhours_outbox_waiting{kind="tickets"} 6.0' in shown
    assert 'afterhours_outbox_failing_seconds{system="sms-and-voice"} 0.0' in shown
    alerts = session.scalars(select(Email).where(Email.subject.startswith("Tickets are not")))
    alerts = alerts.all()
    assert {a.to_address for a in alerts} == {"jordan@example.edu", "morgan@example.edu"}
    assert "6 updates are waiting, for: AH-1001 Canvas." in alerts[0].body

    with webhook_receiver(port, Receiver()) as receiver:
        assert send_tickets(app) == len(LIFE)
        assert send_tickets(app) == 0
    assert receiver.kinds() == LIFE
    session.expire_all()
    assert all(u.sent_at is not None for u in session.scalars(select(TicketUpdate)))
    back = session.scalars(select(Email).where(Email.subject.startswith("Tickets are reaching")))
    assert len(back.all()) == 2  # the team lead and the director, as for the alert
    assert "ticket pending" not in client.get("/incidents/AH-1001").get_data(as_text=True)


def fresh(client, body: dict[str, object]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The news as a sender sends it: a new delivery id, the time it is sent by the line's
    clock (a body that names them keeps its own)."""
    now = runtime(client.application).clock.now()
    return {"delivery": uuid.uuid4().hex, "sent_at": int(now.timestamp()), **body}


def _post_news(client, body: dict[str, object], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/tickets/events",
        data=json.dumps(fresh(client, body)),
        headers={"Content-Type": "application/json", **headers},
    )


def _owned_ticket(app, clock, twilio, port) -> None:  # type: ignore[no-untyped-def]
    report_outage(twilio)
    text(twilio, PAT, "1a")
    with webhook_receiver(port, Receiver(answer={"id": "T-5", "url": ""})):
        send_tickets(app)


def test_a_ticket_resolved_there_resolves_the_incident_once(
    app, clock, twilio, client, gateway, port, session
):
    _owned_ticket(app, clock, twilio, port)
    bearer = {"Authorization": f"Bearer {INBOUND_TOKEN}"}
    news = {"ticket": "T-5", "status": "resolved", "note": "rebooted the VM", "by": "desk@x.org"}
    answer = _post_news(client, news, **bearer)
    assert answer.status_code == 200
    assert answer.get_json()["result"].startswith("AH-1001 marked resolved at")
    incident = the_incident(session)
    assert incident.state == IncidentState.RESOLVED
    assert incident.resolution_note == "rebooted the VM"
    assert incident.owner.name == "Pat Lee"  # the one who may act for it
    [resolved] = [e for e in incident.events if e.kind == EventKind.RESOLVED]
    assert resolved.channel == "tickets"
    queued = session.scalars(select(TicketUpdate)).all()
    # The echo of the line's own update, or a repeat: nothing changes, nothing is queued.
    again = _post_news(client, news, **bearer)
    assert again.status_code == 200
    assert again.get_json() == {"result": "AH-1001 is already resolved"}
    session.expire_all()
    assert len(session.scalars(select(TicketUpdate)).all()) == len(queued)


def test_a_ticket_closed_there_closes_it_signed_with_the_secret(
    app, clock, twilio, client, port, session
):
    _owned_ticket(app, clock, twilio, port)
    news = {"reference": "AH-1001", "status": "closed", "by": "jordan@example.edu"}
    body = json.dumps(fresh(client, news))
    signature = signing.sign(INBOUND_SECRET, body.encode())
    answer = client.post(
        "/tickets/events",
        data=body,
        headers={"Content-Type": "application/json", signing.HEADER: signature},
    )
    assert answer.status_code == 200, answer.get_json()
    incident = the_incident(session)
    assert incident.state == IncidentState.CLOSED
    assert incident.confirmed_via == "ticket"
    [closed] = [e for e in incident.events if e.kind == EventKind.CLOSED]
    assert closed.actor == "Jordan Reyes"
    assert closed.detail == (
        "without the caller's confirmation: closed in the ticketing system by jordan@example.edu"
    )


def test_ticket_news_that_cannot_be_applied_is_answered_and_kept(
    app, clock, twilio, client, session
):
    report_outage(twilio)
    bearer = {"Authorization": f"Bearer {INBOUND_TOKEN}"}
    assert _post_news(client, {"ticket": "1"}).status_code == 401
    forged = {signing.HEADER: signing.sign("wrong-secret", b"{}")}
    assert _post_news(client, {"ticket": "1", "status": "resolved"}, **forged).status_code == 401
    wrong = _post_news(client, {"ticket": "1"}, Authorization="Bearer nope")
    assert wrong.status_code == 401 and "TICKETS_INBOUND_TOKEN" in wrong.get_json()["error"]
    bad = client.post("/tickets/events", data="not json", headers=bearer)
    assert bad.status_code == 400 and "JSON object" in bad.get_json()["error"]
    odd = _post_news(client, {"ticket": "1", "status": "stalled"}, **bearer)
    assert odd.get_json() == {"error": '"status" must be one of resolved, closed'}
    unknown = _post_news(client, {"ticket": "404", "status": "resolved"}, **bearer)
    assert unknown.status_code == 404
    # Nobody on the line owns it, and the sender is not a responder: refused, but on the timeline.
    news = {"reference": "1001", "status": "resolved", "by": "someone@x.org", "note": "fixed"}
    orphan = _post_news(client, news, **bearer)
    assert orphan.status_code == 409 and "acknowledge it first" in orphan.get_json()["error"]
    incident = the_incident(session)
    assert incident.state == IncidentState.OPEN
    assert incident.events[-1].detail.endswith("nobody on the line can act for it: fixed")


def test_the_team_lead_named_by_the_ticketing_system_may_resolve_an_unowned_one(
    app, clock, twilio, client, session
):
    report_outage(twilio)
    news = {"reference": "AH-1001", "status": "resolved", "by": "Jordan Reyes"}
    answer = _post_news(client, news, Authorization=f"Bearer {INBOUND_TOKEN}")
    assert answer.status_code == 200
    incident = the_incident(session)
    assert incident.state == IncidentState.RESOLVED and incident.owner.phone == JORDAN
    assert incident.resolution_note == "resolved in the ticketing system by Jordan Reyes"


def test_ticket_events_are_off_without_a_token_or_secret(settings, clock, gateway):
    quiet = create_app(
        {**settings, "TICKETS_INBOUND_TOKEN": "", "TICKETS_INBOUND_SECRET": ""},
        clock=clock,
        gateway=gateway,
    )
    answer = quiet.test_client().post("/tickets/events", json={"ticket": "1"})
    assert answer.status_code == 404
    assert "TICKETS_INBOUND_TOKEN" in answer.get_json()["error"]


def test_a_backend_without_its_settings_stops_start_up(settings, clock):
    with pytest.raises(ConfigError, match="TICKETS_BACKEND=rt needs RT_URL, RT_TOKEN"):
        create_app({**settings, "TICKETS_BACKEND": "rt"}, clock=clock)


def test_tickets_check_says_what_is_wrong_in_one_line(app, runner, port):
    down = runner.invoke(args=["tickets", "check"])
    assert down.exit_code == 1
    assert down.output.startswith("Error: webhook: The webhook unreachable at http://127.0.0.1:")
    assert down.output.count("\n") == 1
    with webhook_receiver(port, Receiver()) as receiver:
        up = runner.invoke(args=["tickets", "check"])
    assert up.exit_code == 0, up.output
    assert up.output.startswith("ok  the webhook at http://127.0.0.1:")
    assert receiver.kinds() == ["check"]


def test_without_a_ticketing_system_nothing_is_queued(settings, clock, gateway):
    plain = create_app({**settings, "TICKETS_BACKEND": "none"}, clock=clock, gateway=gateway)
    _seed(plain, clock)
    report_outage(TwilioClient(plain))
    with plain.extensions["db"].sessionmaker() as session:
        assert session.scalars(select(TicketUpdate)).all() == []


def test_help_desk_staff_hear_the_ticket_on_the_staff_line(app, clock, twilio, port):
    make_accounts(app, clock)
    script = scripted(STAFF_CALL)
    receiver = Receiver(answer={"id": "HD-42", "url": ""})

    def staff(ask: Ask) -> Answer:
        if any("hear the reference again" in prompt for prompt in ask.prompts):
            # The worker's ticket thread, while the staff member listens.
            with webhook_receiver(port, receiver):
                send_tickets(app)
            return Answer("press", "1")
        return script(ask)

    heard = twilio.call_answering(staff, caller=HELPDESK_PHONE, entry="/voice/staff").text
    assert heard.count("In the ticketing system, it is ticket H, D, 4, 2.") >= 1
    assert receiver.kinds() == ["opened"]
    # A second report on the same incident hears it straight away, with its reference.
    again = twilio.call(*STAFF_CALL[:2], "press 1", caller=HELPDESK_PHONE, entry="/voice/staff")
    assert "it is ticket H, D, 4, 2." in again.text


def test_a_worker_that_saw_no_ticket_yet_does_not_open_a_second(app, clock, twilio, port):
    report_outage(twilio)
    text(twilio, PAT, "1a")
    sessions = app.extensions["db"].sessionmaker
    sender = runtime(app).ticket_sender()
    assert sender is not None
    with sessions() as first, sessions() as second:
        assert sender.send_due(first) == 1  # down: the opening waits, as `first` last saw it
        clock.advance(minutes=5)
        with webhook_receiver(port, Receiver()) as receiver:
            sender.batch = 1
            assert sender.send_due(second) == 1  # another worker opens the ticket
            sender.batch = 50
            assert sender.send_due(first) == 1  # and this one sends the acknowledgement
    assert receiver.kinds() == ["opened", "acknowledged"]


def test_an_incident_from_before_tickets_were_on_gets_its_ticket_with_its_next_update(
    settings, clock, gateway, port
):
    before = create_app({**settings, "TICKETS_BACKEND": "none"}, clock=clock, gateway=gateway)
    _seed(before, clock)
    report_outage(TwilioClient(before))
    after = create_app(settings, clock=clock, gateway=gateway)
    text(TwilioClient(after), PAT, "1a")
    with webhook_receiver(port, Receiver(answer={"id": "T-1", "url": ""})) as receiver:
        assert send_tickets(after) == 1
    # One request opens the ticket from the incident as it stands, the next is the update.
    assert receiver.kinds() == ["opened", "acknowledged"]
    assert receiver.events[1]["ticket"] == "T-1"
