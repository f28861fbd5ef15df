"""Running it in production: liveness, readiness with the worker's heartbeat, and metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from tests.accounts import make_accounts, sign_in
from tests.paging_support import PAT, report_outage, run_worker, text


def test_healthz_is_always_alive(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_needs_the_database_and_a_fresh_worker_heartbeat(client, app, clock):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["worker"] == "no recent heartbeat"
    run_worker(app, clock)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ok",
        "database": "ok",
        "worker": "ok",
        "heartbeat_age_seconds": 0.0,
        "spool": "ok",
        "gateway": "ok",
        "tickets": "ok",
    }
    clock.advance(seconds=31)
    assert client.get("/readyz").status_code == 503


def test_readyz_says_when_the_database_is_unreachable(settings, clock):
    down = create_app(
        {**settings, "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x"}, clock=clock
    )
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    down.extensions["db"].engine.dispose()


def test_the_dashboard_shows_a_banner_when_the_worker_is_down(client, app, clock):
    make_accounts(app, clock)
    sign_in(client, "jordan")
    assert 'id="worker-down"' in client.get("/").get_data(as_text=True)
    run_worker(app, clock)
    assert 'id="worker-down"' not in client.get("/").get_data(as_text=True)


def test_metrics(client, app, clock, twilio):
    report_outage(twilio)
    twilio.call("hangup")
    run_worker(app, clock)
    clock.advance(minutes=7)
    text(twilio, PAT, "1a")
    assert client.get("/metrics").status_code == 401
    body = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"})
    assert body.mimetype == "text/plain"
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.get_data(as_text=True))
        for sample in family.samples
    }
    assert samples[("afterhours_calls_total", (("status", "reported"),))] == 1
    assert samples[("afterhours_calls_total", (("status", "abandoned"),))] == 1
    assert samples[("afterhours_incidents", (("state", "acknowledged"),))] == 1
    assert samples[("afterhours_pages", (("channel", "sms"), ("status", "sent")))] == 1
    assert samples[("afterhours_time_to_acknowledge_seconds_bucket", (("le", "300"),))] == 0
    assert samples[("afterhours_time_to_acknowledge_seconds_bucket", (("le", "900"),))] == 1
    assert samples[("afterhours_time_to_acknowledge_seconds_sum", ())] == 420
    assert samples[("afterhours_worker_lag_seconds", ())] == 0
