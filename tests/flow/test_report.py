"""The team lead's monthly report: work by customer and service (CAS first), hours from the
summaries, time to acknowledge and to first contact against the goal with the misses listed,
reopened incidents counted as such, and the CSV files, read back with the csv module."""

from __future__ import annotations

import csv
import io

import pytest

from tests.accounts import make_accounts, sign_in
from tests.flow.test_after_ack import acked_and_resolved
from tests.paging_support import PAT, run_worker, text
from tests.support import CALLER


@pytest.fixture
def month(app, clock, twilio, gateway, client):  # type: ignore[no-untyped-def]
    """November 2026: Canvas acknowledged at 5 min, fixed, summed (2h30, the work starting
    with what a spreadsheet would take for a formula),
    then reopened and acknowledged again 70 min later; Exchange never acknowledged."""
    acked_and_resolved(app, clock, twilio, gateway)
    text(twilio, PAT, "SUM 1001 2h30 =1+2 restarted the app pool")
    text(twilio, CALLER, "still broken")
    clock.advance(minutes=70)
    text(twilio, PAT, "ACK 1001")
    client.post(
        "/api/incidents",
        headers={"Authorization": "Bearer api-token-1"},
        json={
            "service": "exchange",
            "description": "mail stuck",
            "impact": "degraded",
            "callback_number": "319-555-0170",
        },
    )
    run_worker(app, clock)
    make_accounts(app, clock)
    sign_in(client, "jordan")


def test_the_monthly_report(month, client):
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    assert "After-hours report: November 2026" in page
    assert "2 from 2 callers; 1 reopened" in page
    assert "<dd>2h30 from the work summaries;" in page
    assert (
        '<dd id="ack-goal">1 of 2 within 60 minutes (1 of them reopened later) · median 5 min'
        in (page)
    )
    assert "never acknowledged" in page  # Exchange, among the misses, linked
    assert '<a href="/incidents/AH-1002">AH-1002</a> Exchange email: never acknowledged' in page
    assert "acknowledged again after 1h10" in page  # the reopening, counted as such
    rows = page.split('id="by-service"')[1]
    # CAS customers first.
    assert rows.index("Canvas") < rows.index("Exchange email")
    assert client.get("/reports?month=2026-10").status_code == 200
    assert client.get("/reports?month=nope").status_code == 400


def test_the_csv_files(month, client):
    incidents = client.get("/reports/2026-11/incidents.csv")
    assert incidents.mimetype == "text/csv"
    assert 'filename="incidents-2026-11.csv"' in incidents.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(incidents.get_data(as_text=True))))
    canvas, exchange = rows
    assert canvas["reference"] == "AH-1001" and canvas["minutes_to_acknowledge"] == "5"
    assert canvas["reopened"] == "yes" and canvas["minutes_worked"] == "150"
    assert exchange["acknowledged"] == "" and exchange["minutes_to_acknowledge"] == ""
    summaries = client.get("/reports/2026-11/summaries.csv").get_data(as_text=True)
    [summary] = list(csv.DictReader(io.StringIO(summaries)))
    assert summary["hours"] == "2.50" and summary["responder"] == "Pat Lee"
    # A cell a spreadsheet would run as a formula is quoted.
    assert summary["work"] == "'=1+2 restarted the app pool"


def test_only_team_leads_see_the_report(app, clock, client):
    make_accounts(app, clock)
    sign_in(client, "hana")
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/2026-11/incidents.csv").status_code == 403
