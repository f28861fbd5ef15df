"""Calling the caller back through the line (Twilio intercepted with `responses`), and summaries
reaching the team lead through a real SMTP server on localhost."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import uuid
from collections.abc import Iterator

import pytest
import responses

from app import create_app
from app.adapters.gateways import TwilioGateway
from app.context import runtime
from tests.conftest import _seed
from tests.flow.test_after_ack import acked_and_resolved, sms_to
from tests.paging_support import PAT, report_outage, run_worker, text, the_incident
from tests.support import CALLER, PUBLIC, TEST_SETTINGS, TwilioClient

SID = str(TEST_SETTINGS["TWILIO_ACCOUNT_SID"])
CALLS = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls.json"
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
LINE = "+13195550000"


class TestCallBack:
    @pytest.fixture
    def gateway(self) -> TwilioGateway:
        return TwilioGateway(SID, str(TEST_SETTINGS["TWILIO_AUTH_TOKEN"]), LINE)

    @pytest.fixture
    def settings(self, settings):  # type: ignore[no-untyped-def]
        return {**settings, "TWILIO_FROM_NUMBER": LINE}

    @pytest.fixture
    def api(self) -> Iterator[responses.RequestsMock]:
        def created(prefix: str):  # type: ignore[no-untyped-def]
            # Each message gets its own sid, as Twilio gives.
            return lambda _request: (201, {}, json.dumps({"sid": f"{prefix}{uuid.uuid4().hex}"}))

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add_callback("POST", MESSAGES, callback=created("SM"))
            mock.add("POST", CALLS, json={"sid": "CA-bridge", "status": "queued"}, status=201)
            yield mock

    def _call_back(self, app, clock, twilio, session, api):  # type: ignore[no-untyped-def]
        report_outage(twilio)
        run_worker(app, clock)
        text(twilio, PAT, "1a")
        reply = text(twilio, PAT, "CALL 1001")
        assert reply == (
            "Calling you now for AH-1001; answer to be connected to (319) 555-0142. They will "
            "see the line's number."
        )
        run_worker(app, clock)
        # The call to the admin goes out before the texts queued with it.
        placed = [c for c in api.calls if c.request.url == CALLS]
        call = dict(urllib.parse.parse_qsl(placed[-1].request.body))
        assert call["To"] == PAT and call["From"] == LINE
        assert call["Url"].startswith(f"{PUBLIC}/voice/bridge/")
        return call["Url"].removeprefix(PUBLIC)

    def test_calling_back_an_unacknowledged_incident_takes_it_and_says_so(
        self, app, clock, twilio, session, api
    ):
        report_outage(twilio)
        run_worker(app, clock)
        clock.advance(minutes=4)
        reply = text(twilio, PAT, "CALL 1001")
        assert reply == (
            "AH-1001 acknowledged at 02:04 CST (yours now). Calling you now for AH-1001; answer "
            "to be connected to (319) 555-0142. They will see the line's number."
        )
        incident = the_incident(session)
        assert (incident.state, incident.owner.name) == ("acknowledged", "Pat Lee")
        assert incident.next_escalation_at is None  # nobody else is paged while Pat calls

    def test_the_line_rings_the_admin_then_connects_the_caller(
        self, app, clock, twilio, session, api
    ):
        path = self._call_back(app, clock, twilio, session, api)
        twiml = twilio.voice(path, "CA-bridge", caller=PAT, AnsweredBy="human")
        assert "Connecting you to the caller for incident A, H, 1, 0, 0, 1" in twiml.text
        dial = twiml.first("Dial")
        assert (dial.text or "").strip() == CALLER
        assert dial.get("callerId") == LINE  # the caller sees the line, not the admin's phone
        assert dial.get("action") == f"{path}/done"
        clock.advance(minutes=13)
        done = twilio.voice(
            f"{path}/done",
            "CA-bridge",
            caller=PAT,
            DialCallStatus="completed",
            DialCallDuration="754",
        )
        assert done.verbs[-1] == "Hangup"
        incident = the_incident(session)
        [callback] = incident.callbacks
        assert (callback.outcome, callback.talk_seconds) == ("talked", 754)
        ended = next(e for e in incident.events if e.kind == "call-back-ended")
        assert ended.detail == "call with (319) 555-0142: talked 12 min"
        assert ended.channel == "voice"
        # A call that connected is the first contact with the customer, the 60-minute goal.
        assert (incident.first_contact_via, incident.first_contact_at) == ("call", clock.now())
        # The call counts toward the hours in the summary.
        text(twilio, PAT, "1r fixed")
        text(twilio, PAT, "SUM 1001 1 fixed it with the caller on the phone")
        run_worker(app, clock)
        [(_, _, body)] = runtime(app).mailer.sent
        assert "Calls with the caller through the line: 1, 12 min" in body

    def test_a_caller_who_does_not_answer_is_on_the_timeline(
        self, app, clock, twilio, session, api
    ):
        path = self._call_back(app, clock, twilio, session, api)
        twilio.voice(path, "CA-bridge", caller=PAT, AnsweredBy="human")
        done = twilio.voice(f"{path}/done", "CA-bridge", caller=PAT, DialCallStatus="no-answer")
        assert "did not answer" in done.text
        ended = next(e for e in the_incident(session).events if e.kind == "call-back-ended")
        assert ended.detail == "call with (319) 555-0142: no answer"
        detail = twilio.client.get(
            "/api/incidents/AH-1001", headers={"Authorization": "Bearer api-token-1"}
        ).get_json()
        assert detail["callbacks"][0]["outcome"] == "no answer"

    def test_the_admins_voicemail_does_not_dial_the_caller(self, app, clock, twilio, session, api):
        path = self._call_back(app, clock, twilio, session, api)
        twiml = twilio.voice(path, "CA-bridge", caller=PAT, AnsweredBy="machine_start")
        assert twiml.verbs == ["Say", "Hangup"]


def smtp_app(settings, clock, gateway, port: int):  # type: ignore[no-untyped-def]
    """The line mailing through the test's SMTP server, seeded."""
    app = create_app(
        {
            **settings,
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_STARTTLS": False,
            "MAIL_FROM": "line@example.edu",
        },
        clock=clock,
        gateway=gateway,
    )
    _seed(app, clock)
    return app


def test_an_overdue_summary_reaches_the_team_lead_by_real_smtp(
    settings, clock, gateway, smtp_server
):
    inbox, port = smtp_server
    app = smtp_app(settings, clock, gateway, port)
    twilio = TwilioClient(app)
    acked_and_resolved(app, clock, twilio, gateway)
    clock.advance(hours=24)
    run_worker(app, clock)
    [message] = inbox.messages
    assert message["To"] == "jordan@example.edu"
    assert message["From"] == "line@example.edu"
    assert message["Subject"] == "Overdue work summary: AH-1001"
    assert "from Pat Lee was due" in message.get_payload()
    text(twilio, PAT, "SUM 1001 3 rebuilt the index")
    run_worker(app, clock)
    assert inbox.messages[-1]["Subject"] == "Work summary AH-1001: Canvas"
    assert "Time spent: 3h00 (3.00 h)" in inbox.messages[-1].get_payload()
    assert sms_to(gateway, "+13195550110")  # the team lead was texted too
    app.extensions["db"].engine.dispose()


def test_smtp_down_is_retried_not_lost(settings, clock, gateway):
    app = create_app(
        {
            **settings,
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": 9,
            "SMTP_STARTTLS": False,
        },
        clock=clock,
        gateway=gateway,
    )
    _seed(app, clock)
    twilio = TwilioClient(app)
    acked_and_resolved(app, clock, twilio, gateway)
    text(twilio, PAT, "SUM 1001 1 fixed")
    run_worker(app, clock)
    with app.app_context():
        from sqlalchemy import select

        from app.models import Email

        session = app.extensions["db"].sessionmaker()
        [queued] = session.scalars(select(Email)).all()
        assert (queued.status, queued.attempts) == ("queued", 1)
        assert "ConnectionRefusedError" in queued.last_error
        session.close()
    app.extensions["db"].engine.dispose()


def test_a_line_break_in_a_service_name_never_stops_the_mail(settings, clock, gateway, smtp_server):
    """A service named with CR/LF (typed into the dashboard or the API) once made the mailer raise
    on every pass, for ever, with every later e-mail stuck behind it and the heartbeat stopped."""
    inbox, port = smtp_server
    app = smtp_app(settings, clock, gateway, port)
    with app.app_context(), app.extensions["db"].begin() as session:
        from app.outbox.mail import queue_email

        queue_email(session, clock.now(), "jordan@example.edu", "Canvas\r\nBcc: x@evil.test", "a")
        queue_email(session, clock.now(), "jordan@example.edu", "the next one", "b")
    run_worker(app, clock)
    subjects = [message["Subject"] for message in inbox.messages]
    assert subjects == ["Canvas Bcc: x@evil.test", "the next one"]
    assert all(message["Bcc"] is None for message in inbox.messages)
    app.extensions["db"].engine.dispose()


class ExplodingMailer:
    """A mailer whose library fails on one message in a way nobody planned for."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, to: str, subject: str, body: str) -> None:
        if "poison" in subject:
            raise ValueError("header value contains linefeed")
        self.sent.append(subject)


def test_a_poison_e_mail_is_parked_and_the_worker_goes_on(settings, clock, gateway):
    mailer = ExplodingMailer()
    app = create_app(settings, clock=clock, gateway=gateway, mailer=mailer)
    _seed(app, clock)
    with app.app_context(), app.extensions["db"].begin() as session:
        from app.outbox.mail import queue_email

        queue_email(session, clock.now(), "jordan@example.edu", "poison", "x")
        queue_email(session, clock.now(), "jordan@example.edu", "fine", "y")
    for _ in range(8):
        run_worker(app, clock)
        clock.advance(hours=2)
    assert mailer.sent == ["fine"]
    with app.app_context():
        from sqlalchemy import select

        from app.models import Email, WorkerHeartbeat

        session = app.extensions["db"].sessionmaker()
        poison = session.scalars(select(Email).where(Email.subject == "poison")).one()
        assert poison.status == "parked" and "ValueError" in poison.last_error
        assert poison.attempts == 6
        beat = session.scalars(select(WorkerHeartbeat)).one()
        assert beat.beat_at == clock.now() - dt.timedelta(hours=2)
    app.extensions["db"].engine.dispose()
