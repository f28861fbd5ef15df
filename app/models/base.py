"""Column types, the declarative base and every value stored as a word."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    MetaData,
    String,
    TypeDecorator,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

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


LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]+")


class OneLine(TypeDecorator[str]):
    """A line of what someone said or typed (a service as the caller named it, who will test):
    line breaks and control characters become a space, and anything past the column's length
    is cut. Speech and forms can be longer than a column; a long answer is shortened, never the
    reason a report is lost, and a line break never reaches a text's first line or a mail
    header. The length is the one place each field's limit is decided (see `length_of`)."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def clip(self, value: str | None) -> str | None:
        if value is None:
            return None
        return LINE_BREAKS.sub(" ", value).strip()[: self.length]

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return self.clip(value)


@event.listens_for(Mapper, "mapper_configured")
def _clip_on_set(mapper: Mapper[Any], class_: type) -> None:
    # The object holds the clipped value too, from the moment it is set: a page or a text
    # composed before the flush says what will be stored.
    for attribute in mapper.column_attrs:
        column_type = attribute.columns[0].type
        if isinstance(column_type, OneLine):
            event.listen(
                attribute.class_attribute,
                "set",
                lambda _target, value, _old, _initiator, kind=column_type: kind.clip(value),
                retval=True,
            )


def length_of(column: Any) -> int:
    """The number of characters a mapped column keeps, so forms and the API ask for no more."""
    length: int = column.type.length
    return length


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


# The groups of states the line asks about; which verb fits which state is incidents/verbs.py.
# Waiting for someone to take it: pages and escalation steps are still needed.
WAITING_STATES = frozenset({IncidentState.OPEN})
# Not yet resolved: a new caller's report about the same outage joins it.
UNRESOLVED_STATES = frozenset({IncidentState.OPEN, IncidentState.ACKNOWLEDGED})
# Not finished: the caller may still be reached, told news and asked to confirm.
LIVE_STATES = UNRESOLVED_STATES | {IncidentState.RESOLVED}
FINISHED_STATES = frozenset({IncidentState.CLOSED, IncidentState.CANCELLED})


class Source(StrEnum):
    PHONE = "phone"
    HELPDESK_TRANSFER = "helpdesk-transfer"
    HELPDESK = "helpdesk"
    DASHBOARD = "dashboard"
    API = "api"
    # A business-hours call put through to an administrator who took it.
    PUT_THROUGH = "put-through"


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    DASHBOARD = "dashboard"
    API = "api"
    WORKER = "worker"
    CLI = "cli"
    TICKETS = "tickets"


class Role(StrEnum):
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"
    DIRECTOR = "director"


# The leads: they may act on any incident and cancel one, and hear when the line itself is in
# trouble (a gateway down, a parked message, a chain that ran out).
LEADS = frozenset({Role.TEAM_LEAD, Role.DIRECTOR})


class UserRole(StrEnum):
    HELPDESK = "helpdesk"
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"


class NotificationKind(StrEnum):
    PAGE = "page"  # a responder, about an incident, from the escalation policy
    BRIDGE = "bridge"  # a call to a responder that then connects them to the caller
    NOTICE = "notice"  # an FYI to a responder ("Pat took AH-1042")
    CALLER = "caller"  # a text to the person who reported the incident
    JOINT = "joint"  # a call into an incident's joint call (the caller or a responder)
    VERIFICATION = "verification"  # a code proving a responder's number


class NotificationChannel(StrEnum):
    SMS = "sms"
    VOICE = "voice"


class OutboxStatus(StrEnum):
    """Where a row of the outbox (app/outbox) stands."""

    QUEUED = "queued"  # waiting for its due time (or for a retry)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # taken by the outside system (the gateway, the mail server, ...)
    DELIVERED = "delivered"  # the carrier delivered it / the call was answered
    FAILED = "failed"  # the recipient refused it for good; failover has happened
    CANCELLED = "cancelled"  # no longer needed (acknowledged before it went out)
    PARKED = "parked"  # set aside after its kind's number of tries, with an error logged


class EventKind(StrEnum):
    """What a timeline entry records."""

    OPENED = "opened"
    REPORT_ADDED = "report-added"
    ACKNOWLEDGED = "acknowledged"
    TAKEN_OVER = "taken-over"
    REASSIGNED = "reassigned"
    HANDED_ON = "handed-on"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    NOTE = "note"
    ESCALATED = "escalated"
    ESCALATION_STEP = "escalation-step"
    ESCALATION_ENDED = "escalation-ended"
    ESCALATION_SKIPPED = "escalation-skipped"
    ESCALATION_HELD = "escalation-held"
    STILL_TRYING = "still-trying"
    PAGE_QUEUED = "page-queued"
    PAGE_SENT = "page-sent"
    PAGE_DELIVERED = "page-delivered"
    PAGE_ANSWERED = "page-answered"
    SEND_RETRY = "send-retry"
    SEND_FAILED = "send-failed"
    LATE_REPORT = "late-report"
    FAILOVER = "failover"
    CALLERS_UPDATE = "callers-update"
    CONFIRMATION_REMINDER = "confirmation-reminder"
    CALLER_NO_TEXTS = "caller-no-texts"
    CONTACTED = "contacted"
    CONTACT_REMINDER = "contact-reminder"
    CONTACT_OVERDUE = "contact-overdue"
    JOINT_CALL = "joint-call"
    CONFIRMATION_CALL = "confirmation-call"
    CALL_BACK = "call-back"
    CALL_BACK_ENDED = "call-back-ended"
    SUMMARY = "summary"
    SUMMARY_UPDATED = "summary-updated"
    SUMMARY_OVERDUE = "summary-overdue"


class CallStage(StrEnum):
    """Where a call is within its current step."""

    MENU = "menu"  # the business-hours greeting's menu
    DIAL = "dial"  # put through to a person, waiting for how the <Dial> ended
    PIN = "pin"  # the staff entry, waiting for a PIN
    ASK = "ask"  # the step's question
    KNOWN = "known"  # the service has an open incident: join it?
    CONFIRM = "confirm"  # read back what was heard: right?
    RECORD = "record"  # speech failed: leave a recording instead
    OFFER = "offer"  # "press 1 for the number you are calling from"
    KEYIN = "keyin"  # key a number in
    REPEAT = "repeat"  # the report is filed: press 1 to hear the reference again


def stored_as_word(enum: type[StrEnum], length: int) -> Enum:
    """An enum column kept as its plain value in a VARCHAR (no database enum type, no
    constraint), so adding a member never needs a migration."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class CallStatus(StrEnum):
    IN_PROGRESS = "in-progress"
    CONNECTED = "connected"  # business hours: put through to a person, no report taken
    REPORTED = "reported"  # an incident was opened from this call
    ABANDONED = "abandoned"  # hung up before saying anything useful
    PARKED = "parked"  # ended unseen and could not be filed: set aside, the leads told


class OutboxRow:
    """The columns every kind of outbox row has (app/outbox): when it is due, whose claim it is
    under and since when, how many tries it has had, and how the last one went."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED)
    due_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
