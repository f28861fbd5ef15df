"""What the line gives away without being asked: nothing cached of a signed-in page or export,
no outside system's error text to a stranger, and a clear 400 for a month no report can have."""

from __future__ import annotations

import pytest

from tests.accounts import make_accounts, sign_in
from tests.paging_support import report_outage, run_worker


@pytest.fixture
def lead(app, clock, client, twilio):  # type: ignore[no-untyped-def]
    report_outage(twilio)
    run_worker(app, clock)
    make_accounts(app, clock)
    sign_in(client, "jordan")
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/incidents/AH-1001", "/reports?month=2026-11", "/reports/2026-11/incidents.csv"],
)
def test_no_signed_in_page_or_export_is_kept_by_a_browser_or_proxy(lead, path):
    response = lead.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_answers_are_not_kept_either(client, twilio):
    report_outage(twilio)
    response = client.get("/api/incidents", headers={"Authorization": "Bearer api-token-1"})
    assert response.status_code == 200 and "AH-1001" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/reports?month=0001-01",
        "/reports?month=9999-12",
        "/reports?month=1969-12",
        "/reports/9999-12/incidents.csv",
        "/reports/0001-01/summaries.csv",
        "/reports?month=2026-13",
    ],
)
def test_a_month_no_report_can_have_is_a_400_that_says_so(lead, path):
    response = lead.get(path)
    assert response.status_code == 400
    assert "a month like 2026-11, from 1970 to 9998" in response.get_data(as_text=True)


def test_the_edge_months_still_have_their_report(lead):
    for month in ("1970-01", "9998-12"):
        assert lead.get(f"/reports?month={month}").status_code == 200
        assert lead.get(f"/reports/{month}/incidents.csv").status_code == 200
