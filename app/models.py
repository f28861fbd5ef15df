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

    service: Mapped[Service | None] = relationship(back_populates="incidents")
    reports: Mapped[list[Report]] = relationship(
        back_populates="incident", order_by="Report.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.id + REFERENCE_OFFSET}"

    @property
    def service_name(self) -> str:
        return self.service.name if self.service else (self.service_text or "unknown service")


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


Index("ix_incidents_service_state", Incident.service_id, Incident.state)
