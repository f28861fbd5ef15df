"""Every dashboard page at a phone's width (412 px) and a desk's (1280 px), checked with axe-core
in Chromium: no violations. Each page is photographed as it is checked; with
UPDATE_SCREENSHOTS=1 the pictures replace those in docs/screenshots/ (the README links them).
And the main path works from the keyboard alone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.config import PROJECT_ROOT
from tests.browser.conftest import BROWSER, sign_in
from tests.flow.test_after_ack import acked_and_resolved
from tests.paging_support import PAT, run_worker, text
from tests.support import CALLER, FULL_CANVAS_CALL, TwilioClient

pytestmark = BROWSER
SHOTS = PROJECT_ROOT / "docs" / "screenshots"
WIDTHS = {"phone": {"width": 412, "height": 915}, "desk": {"width": 1280, "height": 900}}
# (name, who signs in, path)
PAGES = [
    ("login", None, "/login"),
    ("incidents", "jordan", "/"),
    ("incident", "jordan", "/incidents/AH-1001"),
    ("incident-helpdesk", "hana", "/incidents/AH-1002"),
    ("new-incident", "hana", "/incidents/new"),
    ("oncall", "pat", "/oncall"),
    ("report", "jordan", "/reports?month=2026-11"),
    ("calls", "jordan", "/calls"),
    ("summaries", "jordan", "/summaries"),
    ("responders", "jordan", "/responders"),
    ("services", "jordan", "/services"),
    ("not-found", None, "/no-such-page"),
]


@pytest.fixture
def night(live, clock, gateway):  # type: ignore[no-untyped-def]
    """A night's worth: one incident through to the summary, one still open."""
    app, base = live
    twilio = TwilioClient(app, public=base)
    acked_and_resolved(app, clock, twilio, gateway)
    text(twilio, PAT, "SUM 1001 2h30 restarted the app pool and cleared the queue")
    text(twilio, CALLER, "WORKS")
    twilio.call("say exchange", *FULL_CANVAS_CALL[1:], caller="+13195550177")
    run_worker(app, clock)
    return base


def _violations(page) -> str:  # type: ignore[no-untyped-def]
    results = Axe().run(page)
    if not results.violations_count:
        return ""
    return results.generate_report()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[name for name, *_ in PAGES])
def test_no_accessibility_violations(
    night, chromium, tmp_path: Path, width: str, name: str, who: str | None, path: str
):
    base = night
    context = chromium.new_context(viewport=WIDTHS[width])
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        if who:
            sign_in(page, base, who)
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        shot = tmp_path / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SHOTS / shot.name)
        report = _violations(page)
    finally:
        context.close()
    assert not report, f"{name} at {width} width:\n{report}"


def test_the_main_path_works_from_the_keyboard(live, page, clock):
    app, base = live
    TwilioClient(app, public=base).call(*FULL_CANVAS_CALL)
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")  # past the brand link, to the first field
    page.focus("#username")
    page.keyboard.type("pat")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.focus('tr[data-reference="AH-1001"] a')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/incidents/AH-1001")
    page.focus("#primary-action button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#state:has-text('acknowledged')")
    # The folded actions open from the keyboard too.
    page.focus("#more-actions summary")
    page.keyboard.press("Enter")
    assert page.locator("#note").is_visible()
