"""The help-desk staff phone entry, and the API's writes and OpenAPI description."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from app.models import Call, CallStatus, Incident, User
from tests.accounts import STAFF_PIN, make_accounts, sign_in
from tests.paging_support import notifications, report_outage, run_worker, the_incident

HELPDESK_PHONE = "+13193844357"
AUTH = {"Authorization": "Bearer api-token-1"}
STAFF_CALL = (
    f"press {STAFF_PIN}",
    "say the vpn",
    "press 1",
    "say nobody can connect from home",
    "say since midnight",
    "say at eleven",
    "press 1",
    "say the lab manager",
    "say dana dot smith at example dot e d u",  # the customer's e-mail, spelled by staff
    "press 2",  # not a CAS customer
    "press 3195550166",  # the caller's callback number, keyed in by staff
    "press 1",  # that number is right
    "press 1",  # send the report
)


@pytest.fixture
def accounts(app, clock):  # type: ignore[no-untyped-def]
    make_accounts(app, clock)


def test_staff_report_for_a_caller_end_to_end(twilio, session, accounts, app, clock):
    transcript = twilio.call(*STAFF_CALL, caller=HELPDESK_PHONE, entry="/voice/staff")
    spoken = transcript.text
    assert "help-desk staff entry" in spoken
    assert "Thank you, Hana." in spoken
    assert "To be called back on" not in spoken  # the help desk's own number is never offered
    assert "Please enter the customer's callback number" in spoken
    # Staff are asked about the customer, never about themselves.
    assert "Is the customer a CAS customer?" in spoken and "Are you a CAS" not in spoken
    assert spoken.count("A, H, 1, 0, 0, 1") == 2
    incident = the_incident(session)
    assert incident.source == "helpdesk"
    assert incident.callback_number == "+13195550166"
    assert incident.caller_number == "+13195550166"
    assert incident.reports[0].email == "dana.smith@example.edu"
    assert incident.events[0].actor == "help desk: Hana Desk"
    call = session.scalars(select(Call)).one()
    hana = session.scalars(select(User).where(User.username == "hana")).one()
    assert (call.staff_user_id, call.source) == (hana.id, "helpdesk")
    run_worker(app, clock)
    assert [n.to_number for n in notifications(session, "caller")] == ["+13195550166"]
    client = app.test_client()
    sign_in(client, "jordan")
    listed = client.get("/calls").get_data(as_text=True)
    assert '<td data-label="Line"><span class="badge">staff line</span></td>' in listed


def test_a_wrong_pin_three_times_ends_the_call_without_a_report(twilio, session, accounts):
    transcript = twilio.call(
        "press 1111", "press 2222", "press 0000", caller=HELPDESK_PHONE, entry="/voice/staff"
    )
    assert transcript.text.count("That PIN was not recognised.") == 2
    assert "Too many wrong PINs" in transcript.text
    assert session.scalars(select(Incident)).all() == []
    assert session.scalars(select(Call)).one().status == CallStatus.ABANDONED


def test_api_creates_an_incident_that_pages(client, session, app, clock, gateway):
    response = client.post(
        "/api/incidents",
        headers=AUTH,
        json={
            "service": "exchange",
            "description": "mail queue stuck since 23:00",
            "impact": "degraded",
            "callback_number": "319-555-0170",
            "started": "23:00",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["incident"]["reference"] == "AH-1001"
    assert body["incident"]["source"] == "api"
    assert response.headers["Location"] == "/api/incidents/AH-1001"
    run_worker(app, clock)
    assert any("Exchange email" in text for _, _, text in gateway.sent)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"description": "x", "impact": "everyone", "callback_number": "3195550170"}, "service"),
        (
            {
                "service": "nope",
                "description": "broken",
                "impact": "everyone",
                "callback_number": "3195550170",
            },
            "service",
        ),
        (
            {
                "service": "vpn",
                "description": "broken",
                "impact": "apocalyptic",
                "callback_number": "3195550170",
            },
            "impact",
        ),
        (
            {"service": "vpn", "description": "broken", "impact": "other", "callback_number": "12"},
            "callback_number",
        ),
        (
            {
                "service": "vpn",
                "description": ["not", "text"],
                "impact": "other",
                "callback_number": "3195550170",
            },
            "description",
        ),
    ],
)
def test_api_validation_errors_name_the_field(client, session, payload, field):
    response = client.post("/api/incidents", headers=AUTH, json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert session.scalars(select(Incident)).all() == []


def test_api_rejects_non_json_and_unauthenticated_writes(client):
    assert client.post("/api/incidents", headers=AUTH, data="x").status_code == 400
    assert client.post("/api/incidents", json={}).status_code == 401


def _token(runner, name: str, *options: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A named token made the way an operator makes one: `flask tokens create`."""
    result = runner.invoke(args=["tokens", "create", name, *options])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def test_api_acknowledge_resolve_close_and_notes(client, twilio, session, runner):
    report_outage(twilio)
    url = "/api/incidents/AH-1001"
    pat = _token(runner, "pat-phone", "--role", "ADMIN", "--responder", "Pat Lee")
    sam = _token(runner, "sam-phone", "--role", "admin", "--responder", "Sam Ortiz")
    # A shared token reports and adds notes; it never acts as a responder, whatever name it sends.
    shared = client.post(f"{url}/acknowledge", headers=AUTH, json={"responder": "Pat Lee"})
    assert (
        shared.status_code == 403 and "does not act for a responder" in shared.get_json()["error"]
    )
    posing = client.post(f"{url}/acknowledge", headers=sam, json={"responder": "Pat Lee"})
    assert posing.status_code == 403 and "acts for Sam Ortiz" in posing.get_json()["error"]
    refused = client.post(f"{url}/acknowledge", headers=sam, json={})
    assert refused.status_code == 403 and "not paged to you" in refused.get_json()["error"]
    done = client.post(f"{url}/acknowledge", headers=pat, json={})
    assert done.status_code == 200
    assert done.get_json()["incident"]["state"] == "acknowledged"
    again = client.post(f"{url}/acknowledge", headers=pat, json={"responder": "Pat Lee"})
    assert again.status_code == 409 and "already acknowledged" in again.get_json()["error"]
    note = client.post(
        f"{url}/notes", headers=AUTH, json={"text": "ticket INC0012345", "author": "ServiceNow"}
    )
    assert note.status_code == 201
    # Attributed to the token, not to the name the client typed.
    [noted] = [e for e in note.get_json()["incident"]["timeline"] if e["kind"] == "note"]
    assert noted["actor"] == "api token 1"
    early = client.post(f"{url}/close", headers=pat, json={})
    assert early.status_code == 409
    assert early.get_json()["error"] == "AH-1001 is acknowledged: resolve it first (RESOLVE 1001)."
    client.post(f"{url}/resolve", headers=pat, json={"note": "fixed"})
    unconfirmed = client.post(f"{url}/close", headers=pat, json={})
    assert unconfirmed.status_code == 409 and "has not confirmed" in unconfirmed.get_json()["error"]
    closed = client.post(f"{url}/close", headers=pat, json={"confirmed_by_phone": True})
    assert closed.get_json()["incident"]["state"] == "closed"
    kinds = [e["kind"] for e in closed.get_json()["incident"]["timeline"]]
    assert {"acknowledged", "note", "resolved", "confirmed", "closed"} <= set(kinds)
    assert runner.invoke(args=["tokens", "revoke", "pat-phone"]).exit_code == 0
    assert client.get(url, headers=pat).status_code == 401
    assert client.post(f"{url}/explode", headers=AUTH, json={}).status_code == 404
    assert (
        client.post("/api/incidents/AH-4242/notes", headers=AUTH, json={"text": "x"}).status_code
        == 404
    )


def test_the_openapi_description_is_valid_and_covers_the_writes(client):
    document = client.get("/api/openapi.json").get_json()
    validate(document)
    assert {"/incidents", "/incidents/{reference}/acknowledge", "/incidents/{reference}/notes"} <= (
        set(document["paths"])
    )
    assert document["servers"] == [{"url": "https://line.example.org/api"}]
