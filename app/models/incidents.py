"""Incidents and what hangs off them: reports, the timeline, summaries, call-backs, joint calls."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    false,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from app.languages import spoken_by
from app.models.base import (
    REFERENCE_OFFSET,
    REFERENCE_PREFIX,
    Base,
    EventKind,
    IncidentState,
    NotificationKind,
    OneLine,
    stored_as_word,
)

# confirmed_via for an incident closed without the caller's word (CLOSE 1042 NOREPLY), and for
# one whose ticket was closed in the ticketing system.
NOREPLY = "noreply"
CLOSED_IN_TICKET = "ticket"
# A service the catalog does not know, as texts to callers name it.
UNNAMED_FOR_CALLERS = "the service you told us about"

if TYPE_CHECKING:
    from app.models.catalog import Service
    from app.models.paging import EscalationPolicy, Notification, Responder
    from app.models.tickets import TicketUpdate


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[IncidentState] = mapped_column(
        stored_as_word(IncidentState, 16), default=IncidentState.OPEN, index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    # What the caller said when it matched no catalog entry (or alongside the match).
    service_text: Mapped[str] = mapped_column(OneLine(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    started_text: Mapped[str] = mapped_column(OneLine(500), default="")
    last_worked_text: Mapped[str] = mapped_column(OneLine(500), default="")
    impact: Mapped[str] = mapped_column(String(32), default="")
    impact_label: Mapped[str] = mapped_column(OneLine(200), default="")
    priority: Mapped[int] = mapped_column(default=3)
    callback_number: Mapped[str | None] = mapped_column(String(32))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    # The caller hung up before the report was complete; what was said is kept.
    incomplete: Mapped[bool] = mapped_column(default=False)
    # How many callers reported it (its reports), kept as a number so that a caller joining a
    # storm does not count every report before theirs.
    callers: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    acknowledged_at: Mapped[dt.datetime | None]
    # The owner: whoever acknowledged or took the incident over.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None]
    # The last time a caller said it is still broken: time to acknowledge counts from here again.
    reopened_at: Mapped[dt.datetime | None]
    # The last time its owner handed it back to the chain (ESC once acknowledged): the pages
    # since ask someone new to take it; time to acknowledge keeps the first acknowledgement.
    handed_on_at: Mapped[dt.datetime | None]
    escalated: Mapped[bool] = mapped_column(default=False)
    # A CAS customer's incident (by service or by the caller's number): served first.
    priority_customer: Mapped[bool] = mapped_column(default=False)
    # The caller said they are a CAS customer (neither the catalog nor their number says so).
    cas_claimed: Mapped[bool] = mapped_column(default=False)
    # Reported in business hours: its own escalation policy and summary recipients.
    business_hours: Mapped[bool] = mapped_column(default=False)
    # Opened past the line-wide limit on new incidents a minute: the calls after it join it,
    # one page for them all (calls/filing.py).
    possible_flood: Mapped[bool] = mapped_column(default=False)
    # Who will be available to test with the administrator.
    responsible_party: Mapped[str] = mapped_column(OneLine(200), default="")
    # The 60-minute goal as the support process words it: in contact with the customer (a call
    # through the line, a joint call, or the admin saying so).
    first_contact_at: Mapped[dt.datetime | None]
    first_contact_via: Mapped[str] = mapped_column(String(16), default="")
    # Acknowledged and not yet in contact: when the worker next looks (the owner's reminder,
    # then the goal itself); cleared by the first contact.
    contact_check_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The caller's word that it works again: when, and how (sms, phone as the admin recorded, or
    # a call from the line). `noreply`: closed without it, after the reminders went unanswered.
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_via: Mapped[str] = mapped_column(String(16), default="")
    confirm_reminders: Mapped[int] = mapped_column(default=0)
    # Follow-ups as rows: a nudge when a resolution stays unconfirmed, a "N callers now" update.
    confirm_reminder_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reporter_update_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reporter_update_sent_at: Mapped[dt.datetime | None]

    # The escalation chain, as rows: the worker acts when next_escalation_at falls due.
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_policies.id"))
    escalation_started_at: Mapped[dt.datetime | None]
    escalation_step: Mapped[int] = mapped_column(default=0)
    escalation_cycle: Mapped[int] = mapped_column(default=0)
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # When the caller, still unanswered, is told honestly that the line is still trying.
    still_trying_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The incident's ticket in the ticketing system, once it took the create (the id and the
    # link are blank where it does not say, as with tickets opened by e-mail).
    ticket_created_at: Mapped[dt.datetime | None]
    ticket_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    ticket_url: Mapped[str] = mapped_column(String(500), default="")

    service: Mapped[Service | None] = relationship(back_populates="incidents")
    owner: Mapped[Responder | None] = relationship()
    policy: Mapped[EscalationPolicy | None] = relationship()
    notifications: Mapped[list[Notification]] = relationship(
        back_populates="incident", order_by="Notification.id"
    )
    summary: Mapped[Summary | None] = relationship(back_populates="incident")
    callbacks: Mapped[list[Callback]] = relationship(
        back_populates="incident", order_by="Callback.id"
    )
    joint_call_legs: Mapped[list[JointCallLeg]] = relationship(
        back_populates="incident", order_by="JointCallLeg.id"
    )
    reports: Mapped[list[Report]] = relationship(
        back_populates="incident", order_by="Report.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan"
    )
    ticket_updates: Mapped[list[TicketUpdate]] = relationship(
        order_by="TicketUpdate.id", viewonly=True
    )

    @property
    def number(self) -> int:
        """The reference's number, as responders type it in replies (`ACK 1042`)."""
        return self.id + REFERENCE_OFFSET

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.number}"

    @property
    def service_name(self) -> str:
        return self.service.name if self.service else (self.service_text or "unknown service")

    @property
    def service_for_callers(self) -> str:
        """The service as texts and e-mails to callers name it: the catalog's name, never what
        a caller said (a caller ID is anyone's; the line must not relay a stranger's words)."""
        return self.service.name if self.service else UNNAMED_FOR_CALLERS

    @property
    def waiting_since(self) -> dt.datetime:
        """When the wait for an acknowledgement began: the opening, or the latest reopening."""
        return self.reopened_at or self.created_at

    @property
    def asking_since(self) -> dt.datetime:
        """When the line last began asking someone to take it: the wait, or a later hand-on."""
        if self.handed_on_at is not None and self.handed_on_at > self.waiting_since:
            return self.handed_on_at
        return self.waiting_since

    @property
    def handed_on(self) -> bool:
        """Asking again because its owner handed it on (not because it opened or reopened)."""
        return self.handed_on_at is not None and self.asking_since == self.handed_on_at

    @property
    def number_to_call(self) -> str | None:
        """Who the owner should call: after a reopening, the caller who said it is still
        broken (another caller on the same outage may have been the first)."""
        if self.reopened_at is None:
            return self.callback_number
        said_broken = [
            report
            for report in self.reports
            if report.confirmation == "broken" and report.confirmed_at and report.callback_number
        ]
        if not said_broken:
            return self.callback_number
        latest = max(said_broken, key=lambda report: report.confirmed_at or self.created_at)
        return latest.callback_number

    def language_of(self, number: str | None) -> str:
        """The language the caller at `number` reads and hears: their latest report's ("" when
        no report is theirs, which means the team's)."""
        theirs = [report for report in self.reports if report.reached_at(number)]
        return theirs[-1].language if theirs else ""

    @property
    def caller_languages(self) -> list[str]:
        """The languages its callers speak, each once. Every page asks: an outage's thousands
        of reports are not loaded for it, only their distinct languages read."""
        session = object_session(self)
        if "reports" in inspect(self).dict or session is None or self.id is None:
            return list(dict.fromkeys(report.language for report in self.reports))
        query = select(Report.language).where(Report.incident_id == self.id).distinct()
        return sorted(session.scalars(query))

    @property
    def callers_speak(self) -> str:
        """For the team: "Spanish" when a caller speaks a language other than the team's ("")."""
        named = (spoken_by(code) for code in self.caller_languages)
        return ", ".join(name for name in named if name)

    @property
    def time_to_acknowledge(self) -> dt.timedelta | None:
        return self.acknowledged_at - self.waiting_since if self.acknowledged_at else None

    @property
    def time_to_contact(self) -> dt.timedelta | None:
        return self.first_contact_at - self.created_at if self.first_contact_at else None

    @property
    def reopened(self) -> bool:
        return self.reopened_at is not None

    @property
    def closed_unconfirmed(self) -> bool:
        return self.confirmed_via in (NOREPLY, CLOSED_IN_TICKET)

    @property
    def ticket_waiting(self) -> list[TicketUpdate]:
        """Updates the ticketing system has not taken yet ("ticket pending")."""
        return [update for update in self.ticket_updates if update.sent_at is None]

    @property
    def pages(self) -> list[Notification]:
        return [n for n in self.notifications if n.kind == NotificationKind.PAGE]


class Report(Base):
    """One caller's account of an incident."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]
    caller_number: Mapped[str | None] = mapped_column(String(32))
    callback_number: Mapped[str | None] = mapped_column(String(32))
    service_text: Mapped[str] = mapped_column(OneLine(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    started_text: Mapped[str] = mapped_column(OneLine(500), default="")
    last_worked_text: Mapped[str] = mapped_column(OneLine(500), default="")
    impact: Mapped[str] = mapped_column(String(32), default="")
    incomplete: Mapped[bool] = mapped_column(default=False)
    # The language the caller reads their texts and e-mails in (app/languages.py).
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The caller's answer to "is it fixed?": works or broken, and when.
    confirmation: Mapped[str] = mapped_column(String(16), default="")
    confirmed_at: Mapped[dt.datetime | None]
    # A text to this caller failed for good (a landline, say): they are called, not texted.
    texts_fail_since: Mapped[dt.datetime | None]
    # The caller's e-mail address, when they gave one: once confirmed (a link e-mailed to it,
    # or typed by staff), what they are texted is e-mailed too. Until then it gets only the
    # link, which the worker sends when `email_confirm_at` falls due.
    email: Mapped[str] = mapped_column(String(320), default="")
    email_confirm_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    email_confirmed_at: Mapped[dt.datetime | None]
    responsible_party: Mapped[str] = mapped_column(OneLine(200), default="")
    cas_claimed: Mapped[bool] = mapped_column(default=False)

    @property
    def updates_email(self) -> str:
        """Where updates are e-mailed: the address, once confirmed."""
        return self.email if self.email_confirmed_at is not None else ""

    incident: Mapped[Incident] = relationship(back_populates="reports")

    def reached_at(self, number: str | None) -> bool:
        """This caller is the one at `number` (their callback number or the one they called
        from). `Report.at_number` says the same in SQL."""
        return number is not None and number in (self.callback_number, self.caller_number)

    @classmethod
    def at_number(cls, number: str | ColumnElement[str] | None) -> ColumnElement[bool]:
        """`reached_at` as a WHERE clause: the reports of the caller at `number`."""
        if number is None:
            return false()
        return or_(cls.callback_number == number, cls.caller_number == number)


class IncidentEvent(Base):
    """One entry on an incident's timeline: what happened, who did it, when and through what."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[dt.datetime]
    kind: Mapped[EventKind] = mapped_column(stored_as_word(EventKind, 32))
    actor: Mapped[str] = mapped_column(OneLine(200))
    channel: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="events")


class Summary(Base):
    """The work performed and the hours spent, due 24 hours after resolution."""

    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id"))
    requested_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    remind_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # Still not in a day after it was due: the director hears of it.
    director_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    submitted_at: Mapped[dt.datetime | None]
    minutes: Mapped[int | None]
    work: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16), default="")

    incident: Mapped[Incident] = relationship(back_populates="summary")
    responder: Mapped[Responder] = relationship()


class Callback(Base):
    """The owner calling the caller back through the line (the line's number as caller ID)."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), unique=True)
    caller_number: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32), default="")
    talk_seconds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="callbacks")
    responder: Mapped[Responder] = relationship()
    notification: Mapped[Notification] = relationship()


class JointCallLeg(Base):
    """One person on an incident's joint call (a Twilio <Conference> named for the incident):
    the caller or a responder, called by the line or calling in, with when they joined and left."""

    __tablename__ = "joint_call_legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    # Who, as the timeline says it: a responder's name, or "the caller".
    who: Mapped[str] = mapped_column(OneLine(200))
    number: Mapped[str] = mapped_column(String(32))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    joined_at: Mapped[dt.datetime | None]
    left_at: Mapped[dt.datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="joint_call_legs")
    responder: Mapped[Responder | None] = relationship()
    notification: Mapped[Notification | None] = relationship()

    @property
    def seconds(self) -> int:
        if self.joined_at is None or self.left_at is None:
            return 0
        return int((self.left_at - self.joined_at).total_seconds())


Index("ix_incidents_service_state", Incident.service_id, Incident.state)
