"""Limits on how many incidents the line opens: one number cannot page the chain again and
again, the help desk's number (a different customer each time) has a limit of its own."""

from __future__ import annotations

from sqlalchemy import func, select

from app.calls.filing import HELPDESK_TRANSFER_LIMIT
from app.models import Email, Incident, Notification, NotificationKind
from tests.paging_support import PAT, run_worker

HELPDESK = "+13193844357"


def transfer(twilio, n: int, service: str, problem: str) -> str:  # type: ignore[no-untyped-def]
    """A caller the help desk put through, their own number keyed in by the help desk."""
    return twilio.call(
        f"say {service}",
        f"say {service}",
        f"say {problem}",
        "say just now",
        "say at nine",
        "press 1",
        "say Dana",
        "press 2",
        f"press 31955502{n:02d}",
        "press 1",
        caller=HELPDESK,
        call_sid=f"CA-transfer-{n}",
    ).text


def paged_incidents(session) -> list[int]:  # type: ignore[no-untyped-def]
    """The incidents a page went out for, each once."""
    query = select(Notification.incident_id).where(Notification.kind == NotificationKind.PAGE)
    return sorted(set(session.scalars(query)))


def test_three_transfers_in_an_hour_are_three_incidents_and_three_pages(
    app, clock, twilio, session, gateway
):
    """Two calls the help desk put through about lab machines, then a genuine outage: each is
    its own incident and its own page, never merged into the first two."""
    transfer(twilio, 1, "lab system one", "it is slow")
    clock.advance(minutes=10)
    transfer(twilio, 2, "lab system two", "it is slow")
    clock.advance(minutes=10)
    spoken = transfer(twilio, 3, "payroll system", "payroll is totally down")
    assert "A, H, 1, 0, 0, 3" in spoken and "added" not in spoken.lower()
    run_worker(app, clock)
    incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    assert [i.service_text for i in incidents] == [
        "lab system one",
        "lab system two",
        "payroll system",
    ]
    assert [i.callback_number for i in incidents] == [f"+131955502{n:02d}" for n in (1, 2, 3)]
    assert paged_incidents(session) == [i.id for i in incidents]
    assert any("payroll is totally down" in body for _, to, body in gateway.sent if to == PAT)


def test_the_help_desks_own_limit_still_bounds_a_spoofed_help_desk_number(twilio, session):
    for n in range(HELPDESK_TRANSFER_LIMIT + 1):
        spoken = transfer(twilio, n, f"lab system {n}", "it is slow")
    assert "added" in spoken.lower()
    assert session.scalar(select(func.count()).select_from(Incident)) == HELPDESK_TRANSFER_LIMIT
    assert len(paged_incidents(session)) == HELPDESK_TRANSFER_LIMIT


def stranger(twilio, n: int) -> str:  # type: ignore[no-untyped-def]
    """A caller from a number of their own about a service the catalog does not know."""
    return twilio.call(
        f"say lab system {n}",
        f"say lab system {n}",
        "say it is down",
        "say just now",
        "say at nine",
        "press 1",
        "say Dana",
        "press 2",
        "press 1",
        "press 1",
        caller=f"+131955503{n:02d}",
        call_sid=f"CA-stranger-{n}",
    ).text


def test_a_flood_from_many_numbers_is_grouped_into_one_possible_flood_that_pages_once(
    app, clock, twilio, session, gateway
):
    """15 calls from 15 numbers within a minute, each about a different unknown service: the
    first LINE_FLOOD_PER_MINUTE open as usual, the rest are one incident marked as a possible
    flood, paged once, and the leads are told."""
    limit = 10
    for n in range(15):
        spoken = stranger(twilio, n)
        assert "A, H, 1, 0" in spoken  # every caller hears a reference: answered and kept
    run_worker(app, clock)
    incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    assert len(incidents) == limit + 1
    flood = incidents[-1]
    assert flood.possible_flood and not any(i.possible_flood for i in incidents[:-1])
    assert flood.callers == 15 - limit
    assert flood.description == "it is down"
    [note] = [e for e in flood.events if e.kind == "note"]
    assert note.detail.startswith("possible flood: more than 10 new incidents")
    assert paged_incidents(session) == [i.id for i in incidents]
    told = session.scalars(select(Email).where(Email.subject.startswith("Possible flood"))).all()
    assert {mail.to_address for mail in told} == {"jordan@example.edu", "morgan@example.edu"}
    assert all(flood.reference in mail.body for mail in told)
    pages_to_pat = [body for channel, to, body in gateway.sent if to == PAT and channel == "sms"]
    assert sum("POSSIBLE FLOOD" in body for body in pages_to_pat) == 1
    # Once the calls slow down, a new report is its own incident again.
    clock.advance(minutes=2)
    stranger(twilio, 40)
    newest = session.scalars(select(Incident).order_by(Incident.id.desc())).first()
    assert newest.id == flood.id + 1 and not newest.possible_flood
