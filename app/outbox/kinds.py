"""The kinds of row the outbox holds, each with its table, and the outside systems they reach."""

from __future__ import annotations

from collections.abc import Mapping

from app.models import CallerBroadcast, Email, Notification, OutboxRow, TicketUpdate
from app.outbox.policy import CALLERS_NEWS, MAIL, MESSAGES, TICKETS

TABLES: Mapping[str, type[OutboxRow]] = {
    # Pages, put-through calls, joint-call legs, notices and callers' texts and calls.
    MESSAGES: Notification,
    MAIL: Email,
    TICKETS: TicketUpdate,
    # News for every caller of an incident, which the worker turns into their texts.
    CALLERS_NEWS: CallerBroadcast,
}

# The outside systems, each with one health record.
GATEWAY, MAIL_SERVER, TICKETING = "sms-and-voice", "mail", "tickets"
