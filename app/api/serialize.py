"""Incidents as JSON: every field the call gathered, the state, the source and the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models import Callback, Incident, IncidentEvent, Notification, Report, Summary


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_summary(incident: Incident) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "state": incident.state,
        "source": incident.source,
        "priority": incident.priority,
        "service": (
            {"slug": incident.service.slug, "name": incident.service.name}
            if incident.service
            else None
        ),
        "service_text": incident.service_text,
        "impact": incident.impact,
        "incomplete": incident.incomplete,
        "created_at": _time(incident.created_at),
        "updated_at": _time(incident.updated_at),
        "ticket": {"id": incident.ticket_id, "url": incident.ticket_url}
        if incident.ticket_id or incident.ticket_url
        else None,
    }


def _ticket_pending(incident: Incident) -> dict[str, Any] | None:
    """What the ticketing system has yet to take, or None when it has everything."""
    waiting = incident.ticket_waiting
    if not waiting:
        return None
    errors = [update.last_error for update in waiting if update.last_error]
    return {"updates": len(waiting), "last_error": errors[-1] if errors else None}


def incident_detail(incident: Incident) -> dict[str, Any]:
    return {
        **incident_summary(incident),
        "ticket_pending": _ticket_pending(incident),
        "description": incident.description,
        "recording_url": incident.recording_url,
        "started": incident.started_text,
        "last_worked": incident.last_worked_text,
        "responsible_party": incident.responsible_party,
        "cas_claimed": incident.cas_claimed,
        "possible_flood": incident.possible_flood,
        "business_hours": incident.business_hours,
        "impact_label": incident.impact_label,
        "callback_number": incident.callback_number,
        "caller_number": incident.caller_number,
        "acknowledged_at": _time(incident.acknowledged_at),
        "acknowledged_by": incident.owner.name if incident.owner else None,
        "time_to_acknowledge_seconds": (
            int(incident.time_to_acknowledge.total_seconds())
            if incident.time_to_acknowledge
            else None
        ),
        "first_contact_at": _time(incident.first_contact_at),
        "first_contact_via": incident.first_contact_via or None,
        "time_to_contact_seconds": (
            int(incident.time_to_contact.total_seconds()) if incident.time_to_contact else None
        ),
        "joint_call": [
            {
                "who": leg.who,
                "joined_at": _time(leg.joined_at),
                "left_at": _time(leg.left_at),
            }
            for leg in incident.joint_call_legs
        ],
        "escalated": incident.escalated,
        "priority_customer": incident.priority_customer,
        "confirmed_at": _time(incident.confirmed_at),
        # "noreply": closed without the caller's confirmation, after the reminders.
        "confirmed_via": incident.confirmed_via or None,
        "closed_without_confirmation": incident.closed_unconfirmed,
        "reopened_at": _time(incident.reopened_at),
        "confirmation_reminders": incident.confirm_reminders,
        "confirmations": [
            {
                "callback_number": r.callback_number,
                "answer": r.confirmation,
                "at": _time(r.confirmed_at),
            }
            for r in incident.reports
            if r.confirmation
        ],
        "summary": summary_json(incident.summary) if incident.summary else None,
        "callbacks": [callback_json(c) for c in incident.callbacks],
        "resolved_at": _time(incident.resolved_at),
        "resolution_note": incident.resolution_note,
        "closed_at": _time(incident.closed_at),
        "reports": [report_json(report) for report in incident.reports],
        "pages": [page_json(page) for page in incident.pages],
        "timeline": [event_json(event) for event in incident.events],
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "source": report.source,
        "created_at": _time(report.created_at),
        "caller_number": report.caller_number,
        "callback_number": report.callback_number,
        "service_text": report.service_text,
        "description": report.description,
        "recording_url": report.recording_url,
        "started": report.started_text,
        "last_worked": report.last_worked_text,
        "email": report.email or None,
        "responsible_party": report.responsible_party,
        "texts_fail_since": _time(report.texts_fail_since),
        "impact": report.impact,
        "incomplete": report.incomplete,
        "confirmation": report.confirmation or None,
        "confirmed_at": _time(report.confirmed_at),
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "by": summary.responder.name,
        "due_at": _time(summary.due_at),
        "submitted_at": _time(summary.submitted_at),
        "hours": round(summary.minutes / 60, 2) if summary.minutes else None,
        "work": summary.work or None,
        "channel": summary.channel or None,
    }


def callback_json(callback: Callback) -> dict[str, Any]:
    return {
        "by": callback.responder.name,
        "to": callback.caller_number,
        "outcome": callback.outcome or "calling",
        "talk_seconds": callback.talk_seconds,
        "at": _time(callback.created_at),
        "ended_at": _time(callback.ended_at),
    }


def page_json(page: Notification) -> dict[str, Any]:
    return {
        "channel": page.channel,
        "recipient": {
            "name": page.responder.name if page.responder else None,
            "number": page.to_number,
        },
        "status": page.status,
        "carrier_status": page.provider_status or None,
        # Steps count from 1 for people; None when paged outside the policy (escalate now).
        "step": page.step + 1 if page.step is not None else None,
        "attempts": page.attempts,
        "last_error": page.last_error or None,
        "due_at": _time(page.due_at),
        "sent_at": _time(page.sent_at),
        "delivered_at": _time(page.delivered_at),
        "failed_at": _time(page.failed_at),
    }


def event_json(event: IncidentEvent) -> dict[str, Any]:
    return {
        "at": _time(event.at),
        "kind": event.kind,
        "actor": event.actor,
        "channel": event.channel,
        "detail": event.detail,
    }
