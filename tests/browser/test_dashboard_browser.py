"""The dashboard in a real headless Chromium (Debian's), driven by Playwright, against the app
served over HTTP on loopback. Screenshots land in the pytest temporary folder."""

from __future__ import annotations

import csv
import re
import time

import icalendar
import requests

from tests.accounts import STAFF_PIN
from tests.browser.conftest import BROWSER, sign_in
from tests.flow.test_after_ack import acked_and_resolved
from tests.flow.test_staff_and_api import HELPDESK_PHONE, STAFF_CALL
from tests.paging_support import run_worker, text
from tests.support import FULL_CANVAS_CALL, TwilioClient

pytestmark = BROWSER


def test_sign_in_see_a_called_in_incident_acknowledge_and_watch_the_timeline(
    live, page, clock, tmp_path
):
    app, base = live
    TwilioClient(app, public=base).call(*FULL_CANVAS_CALL)
    run_worker(app, clock)
    clock.advance(minutes=9)

    sign_in(page, base, "pat")
    row = page.locator('tr[data-reference="AH-1001"]')
    assert "Canvas" in row.inner_text()
    assert "9 min · waiting" in row.inner_text()
    page.screenshot(path=str(tmp_path / "incidents.png"), full_page=True)

    row.locator("a").click()
    page.wait_for_url(f"{base}/incidents/AH-1001")
    assert page.locator("#state").inner_text() == "open"
    assert page.locator('#timeline li[data-kind="acknowledged"]').count() == 0
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector('#timeline li[data-kind="acknowledged"]')
    assert page.locator("#state").inner_text() == "acknowledged"
    flash = page.locator(".flash.ok").inner_text()
    assert "acknowledged at 02:09 CST (9 min after it opened)" in flash
    latest = page.locator("#timeline > li").last.inner_text()
    assert latest.startswith("Acknowledged") and "Pat Lee (dashboard)" in latest
    page.screenshot(path=str(tmp_path / "incident.png"), full_page=True)


def test_a_wrong_password_is_refused(live, page):
    _, base = live
    sign_in(page, base, "pat", "wrong password")
    assert "That username and password do not match." in page.locator("[role=alert]").inner_text()
    assert page.url.endswith("/login")


def test_a_form_with_a_forged_csrf_token_is_rejected(live, page):
    app, base = live
    TwilioClient(app, public=base).call(*FULL_CANVAS_CALL)
    sign_in(page, base, "jordan")
    page.goto(f"{base}/incidents/AH-1001")
    page.evaluate(
        "document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'forged')"
    )
    page.click("button:has-text('Acknowledge')")
    assert "did not come from this site" in page.locator("[role=alert]").inner_text()
    page.goto(f"{base}/incidents/AH-1001")
    assert page.locator("#state").inner_text() == "open"


def test_the_staff_phone_entry_end_to_end(live, page, clock, tmp_path):
    app, base = live
    transcript = TwilioClient(app, public=base).call(
        *STAFF_CALL, caller=HELPDESK_PHONE, entry="/voice/staff"
    )
    assert "Your reference is A, H, 1, 0, 0, 1" in transcript.text
    assert STAFF_PIN not in transcript.text
    sign_in(page, base, "hana")
    page.click('tr[data-reference="AH-1001"] a')
    facts = page.locator("dl.facts").inner_text()
    assert "helpdesk" in facts and "(319) 555-0166" in facts
    assert "help desk: Hana Desk (voice)" in page.locator("#timeline").inner_text()
    assert page.locator("button:has-text('Acknowledge')").count() == 0  # help desk can't ack
    page.fill("#note", "caller's manager also rang")
    page.click("button:has-text('Add note')")
    page.wait_for_selector('#timeline li[data-kind="note"]')
    page.screenshot(path=str(tmp_path / "staff.png"), full_page=True)


def test_the_new_incident_form_shows_errors_then_pages(live, page, clock):
    _, base = live
    sign_in(page, base, "hana")
    page.goto(f"{base}/incidents/new")
    page.fill("#callback_number", "12")
    page.click("button:has-text('Open incident')")
    assert "a phone number with area code" in page.locator(".error-text").all_inner_texts()[-1]
    page.select_option("#service", "sharepoint")
    page.fill("#description", "team sites return 503")
    page.select_option("#impact", "degraded")
    page.fill("#callback_number", "(319) 555-0190")
    page.click("button:has-text('Open incident')")
    page.wait_for_url(f"{base}/incidents/AH-1001")
    assert "the on-call admin is being paged" in page.locator(".flash.ok").inner_text()


def test_a_new_call_shows_on_an_open_screen_by_itself(live, page):
    app, base = live
    sign_in(page, base, "hana")
    page.wait_for_selector("#incident-list")
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded
    assert page.locator('tr[data-reference="AH-1001"]').count() == 0
    TwilioClient(app, public=base).call(*FULL_CANVAS_CALL)
    started = time.monotonic()  # the report is filed when the call's last webhook returns
    page.wait_for_selector('tr[data-reference="AH-1001"]', state="attached")
    print(f"the new call was on screen {time.monotonic() - started:.2f} s after it was filed")
    assert page.evaluate("window.loadedOnce") is True
    # Nothing changed since: the next polls are answered 304, with no body.
    with page.expect_response(lambda r: "/live/incidents" in r.url) as polled:
        pass
    assert polled.value.status == 304


def test_an_open_incident_page_follows_what_others_do(live, page, clock):
    app, base = live
    twilio = TwilioClient(app, public=base)
    twilio.call(*FULL_CANVAS_CALL)
    sign_in(page, base, "jordan")
    page.goto(f"{base}/incidents/AH-1001")
    assert page.locator("#state").inner_text() == "open"
    text(twilio, "+13195550101", "1a")  # Pat acknowledges by SMS
    page.wait_for_selector("#state:has-text('acknowledged')")
    # The page now offers what an acknowledged incident allows.
    assert page.locator("#primary-action button").inner_text() == "Resolve"
    app.test_client().post(  # a note through the API, from the help desk's ticketing system
        "/api/incidents/AH-1001/notes",
        headers={"Authorization": "Bearer api-token-1"},
        json={"text": "restarting the app pool"},
    )
    page.wait_for_selector('#timeline li[data-kind="note"]')
    assert "restarting the app pool" in page.locator("#timeline").inner_text()


def test_the_report_and_its_csv_in_the_browser(live, page, clock, gateway):
    app, base = live
    twilio = TwilioClient(app, public=base)
    acked_and_resolved(app, clock, twilio, gateway)
    text(twilio, "+13195550101", "SUM 1001 2h30 restarted the app pool")
    sign_in(page, base, "jordan")
    page.click("header a:has-text('Report')")
    page.wait_for_selector("#ack-chart")
    assert "1 of 1 within 60 minutes" in page.locator("#ack-goal").inner_text()
    with page.expect_download() as downloaded:
        page.click("a:has-text('Hours per customer (CSV)')")
    with open(downloaded.value.path(), encoding="utf-8") as saved:
        rows = list(csv.DictReader(saved))
    assert [(r["customer"], r["hours_worked"]) for r in rows] == [("College of Education", "2.50")]
    # A point on the chart opens its incident.
    page.click('#ack-chart a[data-reference="AH-1001"]')
    page.wait_for_url(f"{base}/incidents/AH-1001")


def test_a_responder_subscribes_to_their_shifts(live, page):
    _app, base = live
    sign_in(page, base, "pat")
    page.click("header a:has-text('On call')")
    page.click("button:has-text('Get my calendar address')")
    flashed = page.locator(".flash.ok").inner_text()
    address = re.search(r"(http://127\.0\.0\.1:\d+/oncall/[\w-]+\.ics)", flashed)
    assert address, flashed
    feed = requests.get(address[1], timeout=10)
    calendar = icalendar.Calendar.from_ical(feed.content)
    summaries = {str(event["summary"]) for event in calendar.walk("VEVENT")}
    assert "On call: Pat Lee (primary)" in summaries
    assert all(s.startswith("On call: Pat Lee") for s in summaries)
