"""Typed SQLAlchemy 2.0 models: the database is the single source of truth."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Incident numbers start here so the first reference reads like a real ticket (AH-1001).
REFERENCE_PREFIX = "AH-"
REFERENCE_OFFSET = 1000


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, on SQLite (which drops the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class IncidentState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Source(StrEnum):
    PHONE = "phone"
    HELPDESK_TRANSFER = "helpdesk-transfer"
    HELPDESK = "helpdesk"
    DASHBOARD = "dashboard"
    API = "api"


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    DASHBOARD = "dashboard"
    API = "api"
    WORKER = "worker"
    CLI = "cli"


class Role(StrEnum):
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"
    DIRECTOR = "director"


class UserRole(StrEnum):
    HELPDESK = "helpdesk"
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"


class NotificationKind(StrEnum):
    PAGE = "page"  # a responder, about an incident, from the escalation policy
    BRIDGE = "bridge"  # a call to a responder that then connects them to the caller
    NOTICE = "notice"  # an FYI to a responder ("Pat took AH-1042")
    CALLER = "caller"  # a text to the person who reported the incident
    VERIFICATION = "verification"  # a code proving a responder's number


class NotificationChannel(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class NotificationStatus(StrEnum):
    QUEUED = "queued"  # waiting for its due time (or for a retry)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # accepted by the gateway
    DELIVERED = "delivered"  # the carrier delivered it / the call was answered
    FAILED = "failed"  # permanently failed; failover has happened
    CANCELLED = "cancelled"  # no longer needed (acknowledged before it went out)


class CallStatus(StrEnum):
    IN_PROGRESS = "in-progress"
    CONNECTED = "connected"  # business hours: put through to a person, no report taken
    REPORTED = "reported"  # an incident was opened from this call
    ABANDONED = "abandoned"  # hung up before saying anything useful


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    customer: Mapped[str] = mapped_column(String(200), default="")
    # CAS customers are served first (the support process says so).
    priority_customer: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    incidents: Mapped[list[Incident]] = relationship(back_populates="service")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=IncidentState.OPEN, index=True)
    source: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    # What the caller said when it matched no catalog entry (or alongside the match).
    service_text: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    started_text: Mapped[str] = mapped_column(String(500), default="")
    impact: Mapped[str] = mapped_column(String(32), default="")
    impact_label: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[int] = mapped_column(default=3)
    callback_number: Mapped[str | None] = mapped_column(String(32))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    # The caller hung up before the report was complete; what was said is kept.
    incomplete: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    acknowledged_at: Mapped[dt.datetime | None]
    # The owner: whoever acknowledged or took the incident over.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None]
    escalated: Mapped[bool] = mapped_column(default=False)
    # A CAS customer's incident (by service or by the caller's number): served first.
    priority_customer: Mapped[bool] = mapped_column(default=False)
    # The caller's word that it works again: when, and how (sms, or phone as the admin recorded).
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_via: Mapped[str] = mapped_column(String(16), default="")
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
    reports: Mapped[list[Report]] = relationship(
        back_populates="incident", order_by="Report.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan"
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
    def time_to_acknowledge(self) -> dt.timedelta | None:
        return self.acknowledged_at - self.created_at if self.acknowledged_at else None

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
    service_text: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    started_text: Mapped[str] = mapped_column(String(500), default="")
    impact: Mapped[str] = mapped_column(String(32), default="")
    incomplete: Mapped[bool] = mapped_column(default=False)
    # The caller's answer to "is it fixed?": works or broken, and when.
    confirmation: Mapped[str] = mapped_column(String(16), default="")
    confirmed_at: Mapped[dt.datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="reports")


class IncidentEvent(Base):
    """One entry on an incident's timeline: what happened, who did it, when and through what."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="events")


class Call(Base):
    """One inbound call, its progress through the voice menu, and every answer so far."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32), default="")
    to_number: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.IN_PROGRESS, index=True)
    source: Mapped[str] = mapped_column(String(32), default=Source.PHONE)
    business_hours: Mapped[bool] = mapped_column(default=False)
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32), default="ask")
    attempts: Mapped[int] = mapped_column(default=0)
    misses: Mapped[int] = mapped_column(default=0)
    turn: Mapped[int] = mapped_column(default=0)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    duration_seconds: Mapped[int | None]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    # Help-desk staff reporting on a caller's behalf through the staff entry.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    incident: Mapped[Incident | None] = relationship()
    turns: Mapped[list[CallTurn]] = relationship(
        back_populates="call", order_by="CallTurn.turn", cascade="all, delete-orphan"
    )


class CallTurn(Base):
    """One webhook of a call and the reply it got; a repeated webhook gets the same reply."""

    __tablename__ = "call_turns"
    __table_args__ = (UniqueConstraint("call_id", "turn", name="uq_call_turns_call_id_turn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    turn: Mapped[int]
    step: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reply: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime]

    call: Mapped[Call] = relationship(back_populates="turns")


class Responder(Base):
    """An admin, team lead or director who can be paged."""

    __tablename__ = "responders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.ADMIN)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    # Pages go only to verified numbers.
    verified_at: Mapped[dt.datetime | None]
    # Set when the responder texts STOP: SMS cannot reach them, voice pages still can.
    sms_opted_out: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


class PhoneVerification(Base):
    __tablename__ = "phone_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None]

    responder: Mapped[Responder] = relationship()


class Rotation(Base):
    """A weekly rotation: members take turns, handing off on a weekday at a local time."""

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # primary or secondary: what escalation targets call it.
    position: Mapped[str] = mapped_column(String(16), default="primary")
    time_zone: Mapped[str] = mapped_column(String(64))
    handoff_weekday: Mapped[int]  # Monday is 0
    handoff_time: Mapped[dt.time]
    # The local date of a hand-off on which the first member's turn began.
    start_date: Mapped[dt.date]

    members: Mapped[list[RotationMember]] = relationship(
        order_by="RotationMember.position", cascade="all, delete-orphan"
    )
    overrides: Mapped[list[Override]] = relationship(
        back_populates="rotation", cascade="all, delete-orphan"
    )


class RotationMember(Base):
    __tablename__ = "rotation_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id"), index=True)
    position: Mapped[int]
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id"))

    responder: Mapped[Responder] = relationship()


class Override(Base):
    """A one-off: this responder covers the rotation between these instants."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id"), index=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    note: Mapped[str] = mapped_column(String(500), default="")

    rotation: Mapped[Rotation] = relationship(back_populates="overrides")
    responder: Mapped[Responder] = relationship()


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # None: the default policy; otherwise the incident priority it is for.
    priority: Mapped[int | None] = mapped_column(unique=True)
    # How many more times the whole chain runs after its last step, and the gap before each run.
    repeat: Mapped[int] = mapped_column(default=0)
    repeat_after_seconds: Mapped[int] = mapped_column(default=1800)

    steps: Mapped[list[EscalationStep]] = relationship(
        order_by="EscalationStep.position", cascade="all, delete-orphan"
    )


class EscalationStep(Base):
    __tablename__ = "escalation_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("escalation_policies.id"), index=True)
    position: Mapped[int]
    # Seconds after the chain starts (so `60m` means an hour after the incident opened).
    after_seconds: Mapped[int]
    targets: Mapped[list[str]] = mapped_column(default=list)
    channels: Mapped[list[str]] = mapped_column(default=list)
    marks_escalated: Mapped[bool] = mapped_column(default=False)


class Notification(Base):
    """One SMS or voice call to send, with its delivery status: pages, notices, caller texts."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.QUEUED)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"), index=True)
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    # Which escalation step and run of the chain asked for it (pages only).
    step: Mapped[int | None]
    cycle: Mapped[int | None]
    due_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_status: Mapped[str] = mapped_column(String(32), default="")
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]

    incident: Mapped[Incident | None] = relationship(back_populates="notifications")
    responder: Mapped[Responder | None] = relationship()


class ReplyCode(Base):
    """A short code (`12` in `12a`) naming one incident for one responder's replies."""

    __tablename__ = "reply_codes"
    __table_args__ = (
        UniqueConstraint("responder_id", "code", name="uq_reply_codes_responder_id_code"),
        UniqueConstraint("responder_id", "incident_id", name="uq_reply_codes_responder_incident"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("responders.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    code: Mapped[int]


class InboundMessage(Base):
    """Every SMS received, with the reply it got; the same MessageSid is answered once."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    body: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime]


class WebhookReceipt(Base):
    """The answer given to a webhook that must act once (a page call's key press)."""

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime]


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


class Email(Base):
    """An e-mail to send (summaries to the team lead), by the worker, with retries."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.QUEUED)
    due_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class PriorityContact(Base):
    """A number that belongs to a priority (CAS) customer, whatever service they call about."""

    __tablename__ = "priority_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A dashboard account: help desk, admin or team lead."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.HELPDESK)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Help-desk staff key this on the phone to report for a caller; stored hashed.
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    # Admins and team leads act on incidents as this responder.
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]

    responder: Mapped[Responder | None] = relationship()


class LoginAttempt(Base):
    """Sign-in attempts, so repeated failures can be slowed down across every web process."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(index=True)


class WorkerHeartbeat(Base):
    """Each worker process writes here every pass, so readiness checks can tell it is alive."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(String(128), unique=True)
    beat_at: Mapped[dt.datetime] = mapped_column(index=True)
    started_at: Mapped[dt.datetime]
    passes: Mapped[int] = mapped_column(default=0)


Index("ix_incidents_service_state", Incident.service_id, Incident.state)
Index("ix_notifications_status_due", Notification.status, Notification.due_at)
Index("ix_emails_status_due", Email.status, Email.due_at)
