"""ServiceNow (its Table API, as documented, through `responses`) and tickets by e-mail (to a
real SMTP server, aiosmtpd): what each is sent over an incident's whole life."""

from __future__ import annotations

import base64
import json

import pytest
import responses
from responses import matchers

from tests.flow.test_callback_and_mail import smtp_app
from tests.paging_support import report_outage, the_incident
from tests.support import TwilioClient
from tests.ticket_support import send_tickets, whole_life

SN = "https://acme.service-now.com"
SYS_ID = "9d385017c611228701d22104cc95c371"
BASIC = "Basic " + base64.b64encode(b"line:sn-password").decode()


@pytest.fixture
def settings(settings: dict[str, object]) -> dict[str, object]:
    return {
        **settings,
        "TICKETS_BACKEND": "servicenow",
        "SERVICENOW_URL": SN,
        "SERVICENOW_USER": "line",
        "SERVICENOW_PASSWORD": "sn-password",
        "SERVICENOW_ASSIGNMENT_GROUP": "Service Desk",
    }


def _servicenow(mock: responses.RequestsMock) -> None:
    record = {"sys_id": SYS_ID, "number": "INC0010001"}
    mock.post(f"{SN}/api/now/table/incident", json={"result": record}, status=201)
    mock.get(
        f"{SN}/api/now/table/incident",
        json={"result": [record]},
        match=[
            matchers.query_param_matcher({"sysparm_query": "number=INC0010001"}, strict_match=False)
        ],
    )
    mock.patch(f"{SN}/api/now/table/incident/{SYS_ID}", json={"result": record})


def _bodies(calls: list[responses.Call], method: str) -> list[dict[str, str]]:
    return [json.loads(c.request.body) for c in calls if c.request.method == method]


def test_servicenow_gets_the_documented_table_api_requests(app, clock, twilio, session):
    whole_life(app, clock, twilio)
    with responses.RequestsMock() as mock:
        _servicenow(mock)
        assert send_tickets(app) == 6
        calls = list(mock.calls)  # the mock forgets them when it closes
    [create] = _bodies(calls, "POST")
    assert create["short_description"].startswith("[AH-1001] Canvas: P")
    assert "What is wrong: " in create["description"]
    assert create["correlation_id"] == "AH-1001"
    assert create["assignment_group"] == "Service Desk"
    assert create["contact_type"] == "phone"
    assert (create["impact"], create["urgency"]) in {("1", "1"), ("1", "2"), ("2", "2"), ("2", "3")}
    assert all(c.request.headers["Authorization"] == BASIC for c in calls)
    acknowledged, resolved, confirmed, closed, summary = _bodies(calls, "PATCH")
    assert acknowledged["state"] == "2"
    assert acknowledged["work_notes"].startswith("Acknowledged by Pat Lee (sms)")
    assert resolved["state"] == "6"
    assert resolved["close_code"] == "Solved (Permanently)"
    assert "restarted the app pool" in resolved["close_notes"]
    assert set(confirmed) == {"work_notes"}
    assert closed["state"] == "7"
    assert summary["time_worked"] == "1970-01-01 02:30:00"
    incident = the_incident(session)
    assert (incident.ticket_id, incident.ticket_waiting) == ("INC0010001", [])


def test_servicenow_ticket_is_stored_and_not_opened_twice_after_a_lost_answer(
    app, clock, twilio, session
):
    report_outage(twilio)
    with responses.RequestsMock() as mock:
        mock.post(f"{SN}/api/now/table/incident", body=ConnectionError("reset"))
        assert send_tickets(app) == 1
    assert the_incident(session).ticket_created_at is None
    # The create may have reached ServiceNow: the retry looks for it by correlation id first.
    clock.advance(minutes=1)
    with responses.RequestsMock() as mock:
        mock.get(
            f"{SN}/api/now/table/incident",
            json={"result": [{"sys_id": SYS_ID, "number": "INC0010001"}]},
            match=[
                matchers.query_param_matcher(
                    {"sysparm_query": "correlation_id=AH-1001"}, strict_match=False
                )
            ],
        )
        assert send_tickets(app) == 1
    incident = the_incident(session)
    assert incident.ticket_id == "INC0010001"
    assert incident.ticket_url == f"{SN}/nav_to.do?uri=incident.do?sys_id={SYS_ID}"


def test_servicenow_check_names_a_missing_group(app, runner):
    with responses.RequestsMock() as mock:
        mock.get(f"{SN}/api/now/table/incident", json={"result": []})
        mock.get(f"{SN}/api/now/table/sys_user_group", json={"result": []})
        result = runner.invoke(args=["tickets", "check"])
    assert result.exit_code == 1
    assert result.output == "Error: servicenow: ServiceNow has no assignment group 'Service Desk'\n"
    with responses.RequestsMock() as mock:
        mock.get(
            f"{SN}/api/now/table/incident",
            json={"error": {"message": "User Not Authenticated"}},
            status=401,
        )
        result = runner.invoke(args=["tickets", "check"])
    assert result.output == (
        "Error: servicenow: ServiceNow refused the credentials (401: User Not Authenticated)\n"
    )


def test_tickets_by_email_thread_on_the_opening(settings, clock, gateway, smtp_server):
    inbox, port = smtp_server
    ticketing = {"TICKETS_BACKEND": "email", "TICKETS_EMAIL_TO": "help@desk.example.edu"}
    app = smtp_app({**settings, **ticketing}, clock, gateway, port)
    # `tickets check` signs in to the SMTP server as a send would.
    checked = app.test_cli_runner().invoke(args=["tickets", "check"])
    assert checked.output == (
        f"ok  the SMTP server at 127.0.0.1:{port} took the login; tickets go to "
        "help@desk.example.edu\n"
    )
    twilio = TwilioClient(app)
    whole_life(app, clock, twilio)
    assert send_tickets(app) == 6
    tickets = [m for m in inbox.messages if m["To"] == "help@desk.example.edu"]
    opening, *updates = tickets
    assert opening["Subject"].startswith("[AH-1001] Canvas: P")
    root = opening["Message-ID"]
    assert root == "<ah-1001.20261128080000@example.edu>"
    assert "What is wrong: " in opening.get_payload()
    assert len(updates) == 5
    for update in updates:
        assert update["Subject"] == "Re: " + opening["Subject"]
        assert update["In-Reply-To"] == root and update["References"] == root
    assert len({m["Message-ID"] for m in tickets}) == 6
    assert updates[-1].get_payload().startswith("Work summary from Pat Lee: 2h30 worked.")
