"""The 24-hour work summary: asking for it, taking it (SMS or a signed web link), and sending it
to the team lead by e-mail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from app.clock import local
from app.incidents.timeline import add_event
from app.models import CLOSED_IN_TICKET, NOREPLY, EventKind, Incident, Responder, Role, Summary
from app.outbox import mail
from app.paging import notify, oncall
from app.phones import display


class SummaryError(ValueError):
    """Refused, with a message for the person who sent it."""


def first_acknowledged(incident: Incident) -> dt.datetime | None:
    """The first acknowledgement: a reopening and a second one do not rewrite it."""
    times = [e.at for e in incident.events if e.kind == EventKind.ACKNOWLEDGED]
    return min(times, default=incident.acknowledged_at)


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if hours else f"{rest} min"


@dataclass(frozen=True)
class SummaryLinks:
    """Signed links that open one incident's summary form for one responder, until they expire."""

    secret: str
    base_url: str
    valid_for: dt.timedelta

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt="work-summary")

    def make(self, summary: Summary, now: dt.datetime) -> str:
        expires = int((now + self.valid_for).timestamp())
        token = self._serializer().dumps([summary.id, summary.responder_id, expires])
        return f"{self.base_url}/summary/{token}"

    def read(self, token: str, now: dt.datetime) -> tuple[int, int]:
        """(summary id, responder id); raises SummaryError for a tampered or expired link."""
        try:
            summary_id, responder_id, expires = self._serializer().loads(token)
        except (BadSignature, ValueError, TypeError):
            raise SummaryError(
                "This link is not valid. Use the link from your text message."
            ) from None
        if now.timestamp() > expires:
            raise SummaryError(
                "This link has expired. Send SUM with the reference, hours and work by SMS instead."
            )
        return int(summary_id), int(responder_id)


def request(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    responder: Responder,
    due_in: dt.timedelta,
    remind_before: dt.timedelta,
    links: SummaryLinks,
    zone: ZoneInfo,
) -> Summary:
    summary = incident.summary
    if summary is None:
        summary = Summary(incident=incident, responder=responder, requested_at=now, due_at=now)
        session.add(summary)
    if summary.submitted_at is not None:
        return summary
    summary.responder = responder
    summary.due_at = now + due_in
    summary.remind_at = max(summary.due_at - remind_before, now)
    summary.overdue_at = summary.due_at
    session.flush()
    due = local(summary.due_at, zone, "%a %H:%M")
    notify.notify_responder(
        session,
        now,
        responder,
        f"Thanks. Work summary for {incident.reference} due {due}: reply SUM {incident.number} "
        f"<hours> <what you did>, or use {links.make(summary, now)}",
        incident,
        limit=320,
    )
    return summary


ROLE_WORDS = {Role.ADMIN: "administrator", Role.TEAM_LEAD: "team lead", Role.DIRECTOR: "director"}


def sent_to(incident: Incident, people: list[Responder]) -> str:
    """The end of "Summary for AH-1042 saved (2h30)…": who it was e-mailed to, by name, or
    plainly that it reached nobody, so the sender can still tell someone."""
    if not people:
        hours, role = oncall.summary_audience(incident.business_hours)
        return (
            f", but it could not be e-mailed to anyone: nobody on the roster who gets "
            f"{hours} summaries has an e-mail address. Tell your {role}; "
            "it is saved on the incident's page."
        )
    names = [f"{person.name} ({ROLE_WORDS[Role(person.role)]})" for person in people]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f" and sent to {listed}."


def submit(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    responder: Responder,
    minutes: int,
    work: str,
    channel: str,
    zone: ZoneInfo,
) -> list[Responder]:
    """Save the summary and queue it to the people who receive such summaries; returns those
    it was queued to (the ones with an e-mail address)."""
    work = work.strip()
    if len(work) < 3:
        raise SummaryError("Say what was done, in a few words.")
    owner = incident.owner
    if responder.role == Role.ADMIN and owner is not None and owner.id != responder.id:
        raise SummaryError(f"The summary for {incident.reference} is for {owner.name}.")
    summary = incident.summary
    if summary is None:
        summary = Summary(incident=incident, responder=responder, requested_at=now, due_at=now)
        session.add(summary)
    first = summary.submitted_at is None
    summary.responder = responder
    summary.minutes = minutes
    summary.work = work[:4000]
    summary.channel = channel
    summary.submitted_at = now
    summary.remind_at = summary.overdue_at = summary.director_at = None
    add_event(
        session,
        incident,
        now,
        EventKind.SUMMARY if first else EventKind.SUMMARY_UPDATED,
        responder.name,
        channel,
        f"{format_minutes(minutes)}: {work[:300]}",
    )
    recipients = [
        person
        for person in oncall.summary_recipients(session, incident.business_hours)
        if person.email
    ]
    for person in recipients:
        mail.queue_email(
            session,
            now,
            person.email,
            f"Work summary {incident.reference}: {incident.service_name}"
            + ("" if first else " (updated)"),
            summary_email(incident, summary, zone),
            incident,
        )
    return recipients


CONFIRMED_VIA = {
    "sms": "yes, by text",
    "phone": "yes, on the phone with the administrator",
    "call": "yes, on a call from the line",
    NOREPLY: "no: closed without the caller's confirmation (no reply to the reminders)",
    CLOSED_IN_TICKET: "no: the ticket was closed in the ticketing system",
}


def joint_call_minutes(incident: Incident) -> int:
    """How long the joint call's room was in use: first join to last leave."""
    joined = [leg.joined_at for leg in incident.joint_call_legs if leg.joined_at]
    left = [leg.left_at for leg in incident.joint_call_legs if leg.left_at and leg.joined_at]
    if not joined or not left:
        return 0
    return int((max(left) - min(joined)).total_seconds() // 60)


def summary_email(incident: Incident, summary: Summary, zone: ZoneInfo) -> str:
    calls = [c for c in incident.callbacks if c.talk_seconds]
    talk = sum(c.talk_seconds for c in calls)

    def when(moment: dt.datetime | None) -> str:
        return local(moment, zone, "%Y-%m-%d %H:%M") if moment else "-"

    lines = [
        f"Incident {incident.reference}: {incident.service_name} (priority P{incident.priority})",
        f"Reported: {when(incident.created_at)} by {display(incident.caller_number)}"
        f" ({len(incident.reports)} caller{'s' if len(incident.reports) != 1 else ''})",
        f"Problem: {incident.description or '-'}",
        f"Impact: {incident.impact_label or '-'}",
        f"Acknowledged: {when(first_acknowledged(incident))}",
        f"Reopened by the caller: {when(incident.reopened_at)}" if incident.reopened else None,
        f"Acknowledged again: {when(incident.acknowledged_at)}" if incident.reopened else None,
        f"Resolved: {when(incident.resolved_at)}" if incident.resolved_at else None,
        f"Caller confirmed: {CONFIRMED_VIA.get(incident.confirmed_via, 'not yet')}",
        "",
        f"Work performed by {summary.responder.name}:",
        summary.work,
        "",
        # The decimal hours too, for billing by the hour.
        f"Time spent: {format_minutes(summary.minutes or 0)} ({(summary.minutes or 0) / 60:.2f} h)",
        f"Calls with the caller through the line: {len(calls)}, {format_minutes(talk // 60)}"
        if calls
        else "Calls with the caller through the line: none",
        f"Joint call: {', '.join(leg.who for leg in incident.joint_call_legs if leg.joined_at)}"
        f", {format_minutes(joint_call_minutes(incident))}"
        if any(leg.joined_at for leg in incident.joint_call_legs)
        else None,
        f"First contact with the customer: {when(incident.first_contact_at)}"
        f" ({incident.first_contact_via})"
        if incident.first_contact_at
        else "First contact with the customer: not recorded",
    ]
    return "\n".join(line for line in lines if line is not None)
