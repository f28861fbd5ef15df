"""Limits on how many incidents the line opens: one number cannot page the chain again and
again, the help desk's number (a different customer each time) has a limit of its own."""

from __future__ import annotations

from sqlalchemy import func, select

from app.calls.filing import HELPDESK_TRANSFER_LIMIT
from app.models import Incident, Notification, NotificationKind
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
