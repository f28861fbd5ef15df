"""The team lead's monthly report: work by customer and service (CAS first), hours from the
summaries, time to acknowledge and to first contact against the goal with the misses listed,
reopened incidents counted as such, and the CSV files, read back with the csv module."""

from __future__ import annotations

import csv
import io
import re

import pytest

from app.models import PriorityContact
from tests.accounts import make_accounts, sign_in
from tests.flow.test_after_ack import acked_and_resolved
from tests.paging_support import PAT, run_worker, text
from tests.security.test_ticket_news import SECRET, TOKEN, signed
from tests.support import CALLER, FULL_CANVAS_CALL


@pytest.fixture
def settings(settings: dict[str, object]) -> dict[str, object]:
    """The ticketing system may send news (the RT scrip's secret and token)."""
    return {**settings, "TICKETS_INBOUND_SECRET": SECRET, "TICKETS_INBOUND_TOKEN": TOKEN}


@pytest.fixture
def month(app, clock, twilio, gateway, client):  # type: ignore[no-untyped-def]
    """November 2026: Canvas acknowledged at 5 min, fixed, summed (2h30, the work starting
    with what a spreadsheet would take for a formula),
    then reopened and acknowledged again 70 min later; Exchange never acknowledged."""
    _november(app, clock, twilio, gateway, client)
    clock.advance(minutes=61)  # Exchange's 60 minutes are up
    make_accounts(app, clock)
    sign_in(client, "jordan")


def _november(app, clock, twilio, gateway, client):  # type: ignore[no-untyped-def]
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
    assert "still inside the 60 minutes" not in page
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


def test_an_incident_inside_its_60_minutes_is_waiting_not_missed(
    app, clock, twilio, gateway, client
):
    _november(app, clock, twilio, gateway, client)
    make_accounts(app, clock)
    sign_in(client, "jordan")
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    assert "1 still inside the 60 minutes" in page
    misses = page.split('id="misses"')[1].split("</div>")[0]
    assert "AH-1002" not in misses
    chart = page.split('id="ack-chart"')[1].split("</svg>")[0]
    assert "AH-1002 Exchange email (waiting)" in chart
    assert "not acknowledged yet, inside the 60 minutes" in chart
    clock.advance(minutes=61)
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    misses = page.split('id="misses"')[1].split("</div>")[0]
    assert "AH-1002</a> Exchange email: never acknowledged" in misses


def test_chart_labels_are_whole_and_readable_on_a_phone(month, client):
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    chart = page.split('id="ack-chart"')[1].split("</svg>")[0]
    assert ">AH-1002 Exchange email<" in chart  # the whole name, on a line of its own
    sizes = {int(size) for size in re.findall(r'font-size="(\d+)"', chart)}
    width = int(re.search(r'viewBox="0 0 (\d+)', page)[1])
    # Drawn 412 px wide less the card's padding, no text comes out under 13 px.
    assert min(sizes) * 380 / width >= 13


def test_a_cas_caller_known_by_number_is_their_customer_and_hours_add_up(
    app, clock, twilio, gateway, client, session
):
    session.add(PriorityContact(number="+13195550178", customer="College of Education"))
    session.commit()
    _november(app, clock, twilio, gateway, client)
    twilio.call(
        "say the lab printer", "say the lab printer", *FULL_CANVAS_CALL[2:], caller="+13195550178"
    )
    text(twilio, PAT, "ACK 1003")
    text(twilio, PAT, "RESOLVE 1003 fixed")
    text(twilio, PAT, "SUM 1003 1h restarted the spooler")
    make_accounts(app, clock)
    sign_in(client, "jordan")
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    rows = page.split('id="by-service"')[1]
    assert "College of Education" in rows.split("the lab printer")[0].rsplit("<tr>", 1)[1]
    answer = client.get("/reports/2026-11/customers.csv")
    assert 'filename="customers-2026-11.csv"' in answer.headers["Content-Disposition"]
    customers = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    # One row per customer, with the month's totals: Canvas (2h30) and the printer (1h) are
    # both the College of Education's.
    assert [(r["customer"], r["incidents"], r["hours_worked"]) for r in customers] == [
        ("College of Education", "2", "3.50"),
        ("Enterprise Infrastructure", "1", "0.00"),
    ]
    incidents = list(
        csv.DictReader(io.StringIO(client.get("/reports/2026-11/incidents.csv").get_data(True)))
    )
    assert incidents[-1]["customer"] == "College of Education"


def test_closes_without_the_callers_word_are_counted(app, clock, twilio, gateway, client):
    acked_and_resolved(app, clock, twilio, gateway)
    raw, headers = signed(clock, status="closed")
    answer = client.post("/tickets/events", data=raw, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    make_accounts(app, clock)
    sign_in(client, "jordan")
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    assert (
        '<dd id="unconfirmed-closes">1 closed without the caller\'s confirmation (1 of them '
        "closed in the ticketing system)</dd>" in page
    )
