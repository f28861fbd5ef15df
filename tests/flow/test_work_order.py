"""The order of work: by priority, and a CAS customer's incident above another at the same
priority, on the dashboard and in LIST; LIST never leaves an open incident out unsaid."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.db import get_db
from app.incidents.service import IncidentDraft, open_incident
from app.models import Service
from tests.accounts import make_accounts, sign_in
from tests.paging_support import PAT, text


def _open(app, clock, service_text: str, priority: int, cas_service: bool = False) -> str:  # type: ignore[no-untyped-def]
    with app.app_context(), get_db().begin() as session:
        incident = open_incident(
            session,
            clock.now(),
            IncidentDraft(
                source="dashboard",
                service_id=session.scalar(select(Service.id).where(Service.slug == "canvas"))
                if cas_service
                else None,
                service_text=service_text,
                description="down",
                impact="everyone",
                impact_label="down for everyone",
                priority=priority,
                callback_number="+13195550188",
            ),
            actor="test",
            channel="dashboard",
        )
        session.flush()
        return incident.reference


def test_a_cas_incident_comes_first_at_the_same_priority(app, clock, client, twilio):
    make_accounts(app, clock)
    first = _open(app, clock, "lab system", 1)
    cas = _open(app, clock, "Canvas", 2, cas_service=True)  # CAS: P2 moves up to P1
    last = _open(app, clock, "print server", 1)
    sign_in(client, "jordan")
    page = client.get("/").get_data(as_text=True)
    listed = list(dict.fromkeys(re.findall(r"AH-\d{4}", page)))
    assert listed == [cas, last, first]
    answer = text(twilio, PAT, "LIST")
    assert answer is not None
    assert re.findall(r"AH-\d{4}", answer) == [cas, first, last]


def test_list_counts_what_it_has_no_room_for(app, clock, twilio):
    opened = [_open(app, clock, f"lab system {n}", 3) for n in range(25)]
    answer = text(twilio, PAT, "LIST")
    assert answer is not None
    assert re.findall(r"AH-\d{4}", answer) == opened[:20]
    assert answer.endswith("; and 5 more on the dashboard")
