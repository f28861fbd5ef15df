"""Responders, rotations, escalation policies and the notification outboxes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import LEADS, Base, OutboxRow, Role

if TYPE_CHECKING:
    from app.models.incidents import Incident, Report


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
    # Which work summaries they are e-mailed: `after_hours`, `business_hours`. None: as their role
    # has it (the team lead after hours, the director in business hours).
    summaries: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # The SHA-256 of the secret in their calendar feed's address (/oncall/<secret>.ics); a new
    # secret replaces it, so an address that leaked stops working.
    calendar_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_lead(self) -> bool:
        return self.role in LEADS

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


class Notification(OutboxRow, Base):
    """One SMS or voice call to send, with its delivery status: pages, notices, caller texts."""

    __tablename__ = "notifications"

    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"), index=True)
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    # Which escalation step and run of the chain asked for it (pages only).
    step: Mapped[int | None]
    cycle: Mapped[int | None]
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_status: Mapped[str] = mapped_column(String(32), default="")
    delivered_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    # A send whose outcome is unknown (the gateway took the request and never answered): it is
    # looked up before it is sent again, so a phone gets it at most once.
    outcome_unknown_since: Mapped[dt.datetime | None]

    incident: Mapped[Incident | None] = relationship(back_populates="notifications")
    responder: Mapped[Responder | None] = relationship()


class CallerBroadcast(OutboxRow, Base):
    """Words for every caller of an incident (it is being worked on, is it fixed, it is reopened),
    written by the webhook that made the news and turned into one text per caller by the worker:
    an outage may have thousands of callers, and the webhook answers at once."""

    __tablename__ = "caller_broadcasts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The caller whose own word it was (a BROKEN): everyone but them is told.
    except_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))

    incident: Mapped[Incident] = relationship()
    except_report: Mapped[Report | None] = relationship()


class GatewayHealth(Base):
    """Whether an outside system as a whole is failing: the SMS/voice gateway (every send refused
    or unanswered, as opposed to one recipient: while it fails, chains hold and the leads are
    alerted), or the ticketing system (its updates wait and the leads are alerted)."""

    __tablename__ = "gateway_health"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    failing_since: Mapped[dt.datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # Up to when escalation chains have been held (pushed back) for this outage.
    held_until: Mapped[dt.datetime | None]
    alerted_at: Mapped[dt.datetime | None]


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


class Email(OutboxRow, Base):
    """An e-mail to send (summaries to the team lead), by the worker, with retries."""

    __tablename__ = "emails"

    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))


Index("ix_notifications_status_due", Notification.status, Notification.due_at)
Index("ix_emails_status_due", Email.status, Email.due_at)
Index("ix_caller_broadcasts_status_due", CallerBroadcast.status, CallerBroadcast.due_at)
