"""Calls through the voice menu, and the record of webhooks and texts received."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CallStage, CallStatus, Source, stored_as_word

if TYPE_CHECKING:
    from app.models.incidents import Incident


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
    stage: Mapped[CallStage] = mapped_column(stored_as_word(CallStage, 32), default=CallStage.ASK)
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
    # The language the caller is spoken to in (app/languages.py): 9 at the first question
    # switches it, and the choice is remembered for the number (CallerLanguage).
    language: Mapped[str] = mapped_column(String(8), default="en")

    incident: Mapped[Incident | None] = relationship()
    turns: Mapped[list[CallTurn]] = relationship(
        back_populates="call", order_by="CallTurn.turn", cascade="all, delete-orphan"
    )

    def remember(self, values: Mapping[str, Any]) -> None:
        # Reassign so the JSON column sees the change.
        self.answers = {**self.answers, **values}


class CallerLanguage(Base):
    """The language a caller chose, kept for the number they called from: their next call is
    greeted in it. (A caller ID is anyone's; a language is all it decides.)"""

    __tablename__ = "caller_languages"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    chosen_at: Mapped[dt.datetime]


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


class SpooledCall(Base):
    """A voicemail kept on disk while the database was down, claimed by exactly one worker."""

    __tablename__ = "spooled_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    claimed_at: Mapped[dt.datetime]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
