"""The line never relays a stranger's words: texts and e-mails to callers name the reference,
the line and the catalog's service, never what a caller said the service was. A caller ID is
anyone's, and whatever a caller says would otherwise go to it."""

from __future__ import annotations

from sqlalchemy import select

from app.context import runtime
from app.models import Report
from tests.paging_support import PAT, confirm_address, report_outage, run_worker, text
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
    report_outage(twilio)
    run_worker(app, clock)
    assert "your report about Canvas" in caller_texts(gateway)[0]


def test_an_address_texted_in_gets_only_its_link_until_its_owner_confirms_it(
    app, clock, twilio, session
):
    report_outage(twilio)
    run_worker(app, clock)
    reply = text(twilio, CALLER, "victim@example.org")
    assert reply and "open it to also get updates" in reply
    run_worker(app, clock)
    text(twilio, PAT, "1a")
    run_worker(app, clock)
    mailer = runtime(app).mailer
    [(to, subject, body)] = mailer.sent  # the link, and nothing about the report itself
    assert to == "victim@example.org"
    assert subject == "AH-1001: confirm e-mail updates from the after-hours support line"
    assert "students" not in body and "Canvas" not in body and "/updates/" in body
    link = body.split("https://line.example.org", 1)[1].split()[0]
    client = app.test_client()
    # Opening the link (as a mail scanner does) confirms nothing; a changed token is refused.
    assert "Yes, send me updates" in client.get(link).get_data(as_text=True)
    assert client.get(link[:-3] + "abc").status_code == 403
    assert client.post(link, data={"form_key": "guess"}).status_code == 403
    session.expire_all()
    assert session.scalar(select(Report)).email_confirmed_at is None
    confirm_address(app, clock, "victim@example.org")
    text(twilio, PAT, "1r fixed it")
    run_worker(app, clock)
    assert [to for to, *_ in mailer.sent][-1] == "victim@example.org"
    assert "is fixed" in mailer.sent[-1][2]


def test_a_link_for_an_address_replaced_since_is_refused(app, clock, twilio, session):
    report_outage(twilio)
    text(twilio, CALLER, "first@example.org")
    run_worker(app, clock)
    [(_to, _subject, body)] = runtime(app).mailer.sent
    link = body.split("https://line.example.org", 1)[1].split()[0]
    text(twilio, CALLER, "second@example.org")
    answer = app.test_client().get(link)
    assert answer.status_code == 410
    assert "no longer the one given" in answer.get_data(as_text=True)
