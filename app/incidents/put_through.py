"""A business-hours call put through to an administrator who took it: a light incident, already
theirs and in contact, so the work is on record and its summary reaches the director as the
business-hours process asks. Nobody is paged and the caller is not texted a receipt: they are
talking to the administrator."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.clock import local
from app.incidents import contact
from app.incidents.service import IncidentDraft, new_incident
from app.incidents.timeline import add_event
from app.models import Channel, EventKind, Incident, IncidentState, Role
from app.paging import notify, oncall
from app.phones import display, mask
from app.responders import directory


def open_taken(
    session: Session, now: dt.datetime, draft: IncidentDraft, taken_at: str, zone: ZoneInfo
) -> Incident:
    """`taken_at` is the number that pressed 1 to take the call: a responder's, or the team
    lead's line (BUSINESS_HOURS_DIAL_NUMBER), which makes a team lead its owner."""
    incident = new_incident(
        session, now, draft, mask(draft.caller_number or "unknown"), Channel.VOICE
    )
    taker = directory.by_phone(session, taken_at)
    owner = taker or next(iter(oncall.with_role(session, Role.TEAM_LEAD)), None)
    who = taker.name if taker else f"{display(taken_at)} (the team lead's line)"
    incident.state = IncidentState.ACKNOWLEDGED
    incident.owner = owner
    incident.acknowledged_at = now
    incident.still_trying_at = None  # nobody is waiting for a call back: they are on one
    session.flush()  # its id makes the reference the texts name
    add_event(
        session,
        incident,
        now,
        EventKind.ACKNOWLEDGED,
        who,
        Channel.VOICE,
        "took the call put through in business hours",
    )
    contact.record(session, now, incident, "put-through call", who, Channel.VOICE)
    if owner is not None and owner.active and owner.verified:
        notify.notify_responder(
            session,
            now,
            owner,
            f"{incident.reference} {incident.service_name}: the call {who} took at "
            f"{local(now, zone)} is on record as yours. When it is fixed, reply RESOLVE "
            f"{incident.number} and what you did; the caller is asked to confirm and your work "
            "summary goes to the director.",
            incident,
            limit=320,
        )
    return incident
