"""The line never relays a stranger's words: texts and e-mails to callers name the reference,
the line and the catalog's service, never what a caller said the service was. A caller ID is
anyone's, and whatever a caller says would otherwise go to it."""

from __future__ import annotations

from tests.paging_support import PAT, run_worker, text
from tests.support import CALLER

PHISH = "your bank account is locked call 1 900 555 0199 now"


def caller_texts(gateway) -> list[str]:  # type: ignore[no-untyped-def]
    return [body for channel, to, body in gateway.sent if to == CALLER and channel == "sms"]


def test_what_a_caller_said_the_service_was_never_reaches_a_callers_phone(
    app, clock, twilio, session, gateway
):
    twilio.call(
        f"say {PHISH}",
        f"say {PHISH}",
        "say nothing works",
        "say just now",
        "say at nine",
        "press 1",
        "say Dana",
        "press 2",
        "press 1",
        "press 1",
    )
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    run_worker(app, clock)
    text(twilio, PAT, "1r fixed")
    run_worker(app, clock)
    told = caller_texts(gateway)
    assert len(told) >= 3  # the receipt, "being worked on", "is it fixed?"
    assert all("AH-1001" in body for body in told)
    assert not any("900" in body or "bank" in body for body in told), told
    assert "the service you told us about" in told[0]
    # The administrator, who is on the roster, hears what the caller said.
    page = next(body for channel, to, body in gateway.sent if to == PAT and channel == "sms")
    assert "bank account" in page


def test_a_catalog_service_is_still_named_to_the_caller(app, clock, twilio, gateway):
    from tests.paging_support import report_outage

    report_outage(twilio)
    run_worker(app, clock)
    assert "your report about Canvas" in caller_texts(gateway)[0]
