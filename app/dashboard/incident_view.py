"""How the dashboard presents one incident: where it stands and what comes next, its timeline
in the order things happened with the worker's routine steps folded away, and the version a
live screen compares to know whether anything changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.incidents.timeline import EVENT_NAMES
from app.models import (
    Channel,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentState,
    Notification,
    TicketUpdate,
)

# Entries that need someone's attention, whoever wrote them.
ALARMS = frozenset(
    {
        EventKind.ESCALATION_ENDED,
        EventKind.SEND_FAILED,
        EventKind.ESCALATION_HELD,
        EventKind.CONTACT_OVERDUE,
    }
)


def event_name(kind: str) -> str:
    try:
        return EVENT_NAMES.get(EventKind(kind), kind)
    except ValueError:
        return kind


@dataclass
class TimelineGroup:
    """One entry people wrote (or an alarm), or a run of the worker's routine steps."""

    events: list[IncidentEvent] = field(default_factory=list)
    routine: bool = False

    @property
    def alarm(self) -> bool:
        return any(event.kind in ALARMS for event in self.events)


def routine(event: IncidentEvent) -> bool:
    return event.channel == Channel.WORKER and event.kind not in ALARMS


def timeline(incident: Incident) -> list[TimelineGroup]:
    """Oldest first; consecutive routine steps folded into one group."""
    groups: list[TimelineGroup] = []
    for event in incident.events:
        if routine(event) and groups and groups[-1].routine:
            groups[-1].events.append(event)
        else:
            groups.append(TimelineGroup([event], routine=routine(event)))
    return groups


def next_step(incident: Incident, now: dt.datetime) -> str:
    """Where the incident stands, in one sentence for the top of its page."""
    minutes = int((now - incident.waiting_since).total_seconds() // 60)
    owner = incident.owner.name if incident.owner else "nobody"
    state = incident.state
    if state == IncidentState.OPEN:
        again = " again" if incident.reopened else ""
        return (
            f"Waiting{again} for an acknowledgement: {minutes} min of the 60-minute goal; "
            "the escalation goes on until someone takes it."
        )
    if state == IncidentState.ACKNOWLEDGED:
        contact = "" if incident.first_contact_at else " Nobody has reached the customer yet."
        return f"{owner} is working on it.{contact} Resolve it once it works again."
    if state == IncidentState.RESOLVED:
        if incident.confirmed_at:
            return "The caller confirmed it works: close it."
        sent = incident.confirm_reminders
        return (
            f"Resolved; waiting for the caller to confirm ({sent} reminder"
            f"{'s' if sent != 1 else ''} sent). Close it once they do."
        )
    return f"{state.value.capitalize()}. Nothing more to do" + (
        ""
        if incident.summary is None or incident.summary.submitted_at
        else " but the work summary."
    )


def version(session: Session, now: dt.datetime, incident: Incident | None = None) -> str:
    """Changes whenever what a live view shows could, and every minute (ages on screen count
    minutes). The list shows what timeline entries record (a new incident, a caller, a state,
    an owner), so the newest entry's id is enough; an incident's page also shows its pages'
    delivery and whether its ticket updates went out. Each is an indexed read."""
    minute = f"{now:%Y%m%d%H%M}"
    if incident is None:
        newest = session.scalar(select(func.max(IncidentEvent.id)))
        return f'"{newest or 0}.{minute}"'
    events = select(func.max(IncidentEvent.id)).where(IncidentEvent.incident_id == incident.id)
    # A page sent, delivered or failed moves one of these; a ticket update sent, the count.
    pages = select(
        func.max(Notification.sent_at),
        func.max(Notification.delivered_at),
        func.max(Notification.failed_at),
    ).where(Notification.incident_id == incident.id)
    tickets = select(func.count()).where(
        TicketUpdate.incident_id == incident.id, TicketUpdate.sent_at.is_not(None)
    )
    stamps = ".".join(
        f"{moment:%H%M%S%f}" if moment else "-" for moment in session.execute(pages).one()
    )
    return f'"{session.scalar(events) or 0}.{stamps}.{session.scalar(tickets)}.{minute}"'
