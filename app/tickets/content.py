"""What the ticketing system is told: the new ticket, then one change per timeline entry, in
words a help desk reads and fields a ticketing system files. No backend's vocabulary here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.clock import local
from app.incidents.summaries import format_minutes
from app.incidents.timeline import EVENT_NAMES
from app.models import EventKind, Incident, IncidentEvent
from app.phones import display


class TicketStatus(StrEnum):
    """Where the ticket stands, in the line's words (each backend maps them to its own)."""

    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


STATUS_AFTER = {
    EventKind.ACKNOWLEDGED: TicketStatus.OPEN,
    EventKind.TAKEN_OVER: TicketStatus.OPEN,
    EventKind.REOPENED: TicketStatus.OPEN,
    EventKind.RESOLVED: TicketStatus.RESOLVED,
    EventKind.CLOSED: TicketStatus.CLOSED,
    EventKind.CANCELLED: TicketStatus.CANCELLED,
}

# As the dashboard names them, a few said more fully for someone reading only the ticket.
WHAT = {
    **EVENT_NAMES,
    EventKind.REPORT_ADDED: "Another caller reported it",
    EventKind.ESCALATION_ENDED: "Nobody acknowledged before the escalation chain ended",
    EventKind.CONTACTED: "In contact with the customer",
    EventKind.CONFIRMED: "The caller confirmed",
    EventKind.REOPENED: "Reopened: still broken",
    EventKind.HANDED_ON: "Handed on by its owner: the escalation chain is asking again",
}

WHEN = "%Y-%m-%d %H:%M"
# Priority 1 is the most urgent, as on the line.
PRIORITY_WORDS = {1: "critical", 2: "high", 3: "moderate", 4: "low"}


@dataclass(frozen=True)
class NewTicket:
    reference: str
    opened_at: dt.datetime
    subject: str
    body: str
    priority: int
    service: str
    # The caller's e-mail address, when they gave one: the ticket's requestor.
    requestor_email: str
    link: str


@dataclass(frozen=True)
class TicketChange:
    """One timeline entry, as a comment and what it does to the ticket."""

    id: int  # the outbox row: the same change sent twice carries the same id
    kind: EventKind
    at: dt.datetime
    text: str
    status: TicketStatus | None = None
    # Minutes worked in all, from the work summary (set, not added to: a correction replaces).
    minutes: int | None = None


def new_ticket(incident: Incident, base_url: str, zone: ZoneInfo) -> NewTicket:
    report = incident.reports[0] if incident.reports else None
    subject = (
        f"[{incident.reference}] {incident.service_name}: P{incident.priority} "
        f"{PRIORITY_WORDS.get(incident.priority, '')}".rstrip()
        + (" (CAS)" if incident.priority_customer else "")
    )
    lines = [
        f"{incident.reference}, reported {local(incident.created_at, zone, WHEN)} through the "
        f"after-hours line ({incident.source}).",
        "",
        f"Service: {incident.service_name}"
        + (f' (the caller said "{incident.service_text}")' if incident.service_text else ""),
        f"What is wrong: {incident.description or 'not given'}",
        f"Started: {incident.started_text or 'not given'}",
        f"Last worked: {incident.last_worked_text or 'not given'}",
        f"Impact: {incident.impact_label or incident.impact or 'not given'}",
        f"Priority: P{incident.priority}"
        + (" (CAS customer)" if incident.priority_customer else ""),
        f"Call back on: {display(incident.callback_number)}",
    ]
    if incident.caller_number and incident.caller_number != incident.callback_number:
        lines.append(f"Called from: {display(incident.caller_number)}")
    if report is not None and report.email:
        confirmed = "" if report.updates_email else " (not confirmed yet)"
        lines.append(f"E-mail: {report.email}{confirmed}")
    if incident.responsible_party:
        lines.append(f"Available to test: {incident.responsible_party}")
    if incident.recording_url:
        lines.append(f"Recording: {incident.recording_url}")
    if incident.incomplete:
        lines.append("The caller hung up before the report was complete.")
    link = f"{base_url}/incidents/{incident.reference}"
    lines += ["", f"On the line: {link}"]
    return NewTicket(
        reference=incident.reference,
        opened_at=incident.created_at,
        subject=subject,
        body="\n".join(lines),
        priority=incident.priority,
        service=incident.service_name,
        # Only a confirmed address becomes the requestor: the ticketing system mails it too.
        requestor_email=report.updates_email if report is not None else "",
        link=link,
    )


def change(update_id: int, event: IncidentEvent, zone: ZoneInfo) -> TicketChange:
    """The comment for one timeline entry, with the status it leaves the ticket in and, for a
    work summary, the minutes worked."""
    incident = event.incident
    what = WHAT.get(event.kind, event.kind.value)
    text = f"{what} by {event.actor} ({event.channel}) at {local(event.at, zone, WHEN)}."
    if event.detail:
        text += f"\n\n{event.detail}"
    minutes = None
    if event.kind in (EventKind.SUMMARY, EventKind.SUMMARY_UPDATED) and incident.summary:
        minutes = incident.summary.minutes
        text = (
            f"{what} from {incident.summary.responder.name}: "
            f"{format_minutes(minutes or 0)} worked."
            f"\n\n{incident.summary.work}"
        )
    return TicketChange(
        id=update_id,
        kind=event.kind,
        at=event.at,
        text=text,
        status=STATUS_AFTER.get(event.kind),
        minutes=minutes,
    )
