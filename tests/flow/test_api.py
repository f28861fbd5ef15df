"""The read-only JSON API: bearer tokens, every gathered field, the timeline."""

from tests.support import CALLER, FULL_CANVAS_CALL

AUTH = {"Authorization": "Bearer api-token-2"}


def test_no_token_or_a_wrong_token_is_401(client):
    assert client.get("/api/incidents").status_code == 401
    response = client.get("/api/incidents", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "Bearer" in response.get_json()["message"]
    response = client.get("/api/incidents", headers={"Authorization": "Basic api-token-1"})
    assert response.status_code == 401


def test_list_and_detail_show_what_the_call_gathered(client, twilio):
    twilio.call(*FULL_CANVAS_CALL)
    listing = client.get("/api/incidents", headers=AUTH).get_json()["incidents"]
    assert [item["reference"] for item in listing] == ["AH-1001"]

    detail = client.get("/api/incidents/AH-1001", headers=AUTH).get_json()
    assert detail["state"] == "open"
    assert detail["source"] == "phone"
    assert detail["service"] == {"slug": "canvas", "name": "Canvas"}
    assert detail["service_text"] == "the canvas website"
    assert detail["description"] == "students get an error page when they log in"
    assert detail["started"] == "about ten tonight"
    assert detail["last_worked"] == "at nine"
    assert detail["impact"] == "everyone"
    assert detail["impact_label"] == "down for everyone"
    assert detail["priority"] == 1
    assert detail["callback_number"] == CALLER
    assert detail["incomplete"] is False
    assert detail["recording_url"] is None
    assert detail["created_at"].startswith("2026-11-28T08:00:00")
    assert [event["kind"] for event in detail["timeline"]] == [
        "opened",
        "page-queued",
        "escalation-step",
    ]
    assert detail["timeline"][0]["channel"] == "voice"
    assert [report["callback_number"] for report in detail["reports"]] == [CALLER]


def test_references_are_forgiving_and_unknown_ones_are_404(client, twilio):
    twilio.call(*FULL_CANVAS_CALL)
    for reference in ("AH-1001", "ah-1001", "1001"):
        assert client.get(f"/api/incidents/{reference}", headers=AUTH).status_code == 200
    response = client.get("/api/incidents/AH-9999", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"error": "no incident AH-9999"}
    assert client.get("/api/incidents/hello", headers=AUTH).status_code == 404


def test_bad_query_parameters_are_400_with_a_message(client):
    response = client.get("/api/incidents?state=sleeping", headers=AUTH)
    assert response.status_code == 400
    assert "state must be one of" in response.get_json()["error"]
    assert client.get("/api/incidents?limit=0", headers=AUTH).status_code == 400
    assert client.get("/api/incidents?state=open", headers=AUTH).status_code == 200
