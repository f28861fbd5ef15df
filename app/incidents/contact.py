"""The 60-minute goal as the support process words it: begin working on the issue and be in
contact with the customer. First contact is a call through the line that connected, the caller
joining a joint call, or the admin saying so (`CONTACTED 1042`, or the dashboard)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.incidents.timeline import add_event
from app.models import EventKind, Incident


def record(
    session: Session, now: dt.datetime, incident: Incident, via: str, actor: str, channel: str
) -> bool:
    """Note the first contact (later ones change nothing); True when this was the first."""
    if incident.first_contact_at is not None:
        return False
    incident.first_contact_at, incident.first_contact_via = now, via
    incident.contact_check_at = None
    minutes = int((now - incident.created_at).total_seconds() // 60)
    add_event(
        session,
        incident,
        now,
        EventKind.CONTACTED,
        actor,
        channel,
        f"first contact with the customer ({via}), {minutes} min after opening",
    )
    return True
