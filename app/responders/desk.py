"""Responders' SMS replies: a forgiving parser, and the dispatcher that acts on them.

Short codes in the spirit of GoAlert (`12a` acknowledges the incident this responder knows as 12)
and long forms (`ACK AH-1042`, `ACK 1042`, bare `ACK` for the latest page). A Twilio reserved
keyword sent alone (STOP, START, HELP, ...) is never one of our commands.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.incidents import followups
from app.incidents.actions import ActionError, IncidentActions
from app.incidents.service import IncidentNotFound, get_by_reference
from app.models import (
    REFERENCE_OFFSET,
    Channel,
    InboundMessage,
    Incident,
    IncidentState,
    Notification,
    NotificationKind,
    ReplyCode,
    Responder,
)
from app.paging import verification
from app.phones import display, mask, try_e164

log = logging.getLogger(__name__)

# Twilio answers these itself when sent alone (opt-out, opt-in, help); they are never ours.
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP"}
RESERVED = OPT_OUT | OPT_IN | {"HELP", "INFO"}

VERBS = {
    "ack": "ack", "acknowledge": "ack", "acked": "ack", "ak": "ack",
    "resolve": "resolve", "resolved": "resolve", "res": "resolve", "fixed": "resolve",
    "fix": "resolve",
    "esc": "escalate", "escalate": "escalate",
    "details": "info", "detail": "info", "info": "info", "show": "info",
    "list": "list", "open": "list",
    "take": "take", "takeover": "take",
    "commands": "commands", "cmds": "commands", "cmd": "commands", "menu": "commands",
    "?": "commands",
    "verify": "verify", "code": "verify",
    "close": "close", "closed": "close",
    "call": "call", "callback": "call",
    "sum": "sum", "summary": "sum",
}  # fmt: skip
# More than this many texts from one number within the window are stored but not acted on.
FLOOD_LIMIT = 20
FLOOD_WINDOW = dt.timedelta(minutes=5)
FLOOD_REPLY = "Too many messages in a few minutes; the line is ignoring this number for a while."

LETTERS = {"a": "ack", "r": "resolve", "e": "escalate", "i": "info", "t": "take", "c": "close"}

COMMAND_LIST = (
    "Reply 12a ack, 12r resolve (+note), 12e escalate, 12i details, 12t take over, 12c close "
    "(12 = the code in the page). Or ACK/RESOLVE/ESC/DETAILS/TAKE/CLOSE/CALL with AH-1042; "
    "SUM 1042 2.5 what you did; LIST for open."
)


@dataclass(frozen=True)
class Command:
    verb: str  # ack, resolve, escalate, info, take, close, call, sum, list, commands, verify,
    # reserved or unknown
    code: int | None = None  # the responder's short code for an incident
    reference: int | None = None  # an incident id, from AH-1042 / 1042
    note: str = ""

    @property
    def names_incident(self) -> bool:
        return self.code is not None or self.reference is not None


_SHORT = re.compile(r"^#?(\d{1,3})\s*([a-z])(?![a-z])[\s:.,;!-]*(.*)$", re.IGNORECASE | re.DOTALL)
_TARGET = re.compile(r"^(?:ah)?[\s#:.-]*(\d{1,9})(?!\d)[\s:.,;!-]*(.*)$", re.IGNORECASE | re.DOTALL)


def parse(text: str) -> Command:
    body = " ".join((text or "").split())
    bare = re.sub(r"[^a-z?]", "", body.lower())
    if body and " " not in body and bare.upper() in RESERVED:
        return Command("reserved", note=bare.upper())
    if re.fullmatch(r"\d{6}", body):
        return Command("verify", note=body)
    short = _SHORT.match(body)
    if short and short[2].lower() in LETTERS:
        return Command(LETTERS[short[2].lower()], code=int(short[1]), note=short[3].strip())
    word_match = re.match(r"^([a-z]+|\?)[\s:.,;!#-]*(.*)$", body, re.IGNORECASE | re.DOTALL)
    if not word_match:
        return Command("unknown", note=body)
    word, rest = word_match[1].lower(), word_match[2]
    if word == "take" and rest.lower().startswith("over"):
        rest = rest[4:].lstrip(" :.,;!-")
    verb = VERBS.get(word)
    if verb is None:
        return Command("unknown", note=body)
    if verb == "verify":
        return Command("verify", note=re.sub(r"\D", "", rest))
    if verb == "call" and rest.lower().startswith("back"):
        rest = rest[4:].lstrip(" :.,;!-")
    target = _TARGET.match(rest)
    if (
        verb == "sum"
        and target
        and int(target[1]) <= REFERENCE_OFFSET
        and not re.match(r"^(ah|#)", rest, re.IGNORECASE)
    ):
        # SUM 2.5 restarted it: no reference (the latest page), the time comes first.
        return Command(verb, note=rest.strip())
    if target:
        number = int(target[1])
        # References start at 1001; anything smaller is the responder's short code.
        if number > REFERENCE_OFFSET:
            return Command(verb, reference=number - REFERENCE_OFFSET, note=target[2].strip())
        return Command(verb, code=number, note=target[2].strip())
    return Command(verb, note=rest.strip())


@dataclass
class SmsDesk:
    """Answers one inbound SMS; the reply goes back in the webhook's own TwiML."""

    session: Session
    actions: IncidentActions
    secret: str
    region: str = "US"

    @property
    def now(self) -> dt.datetime:
        return self.actions.clock.now()

    def handle(self, message_sid: str, from_number: str, body: str) -> str | None:
        seen = self.session.scalar(
            select(InboundMessage).where(InboundMessage.message_sid == message_sid)
        )
        if seen is not None:
            return seen.reply or None
        phone = try_e164(from_number, self.region)
        responder = (
            self.session.scalar(select(Responder).where(Responder.phone == phone))
            if phone
            else None
        )
        record = InboundMessage(
            message_sid=message_sid,
            from_number=phone or from_number[:32],
            responder_id=responder.id if responder else None,
            body=body[:1600],
            received_at=self.now,
        )
        self.session.add(record)
        recent = self._recent_from(record.from_number)
        if recent > FLOOD_LIMIT:
            # A flood (a loop, a stuck phone, an attack): keep every message, act on none, and
            # answer only the first one over the limit so the line never amplifies it.
            reply = FLOOD_REPLY if recent == FLOOD_LIMIT + 1 and responder is not None else None
            record.reply = reply or ""
            self.session.commit()
            log.warning("SMS flood from %s: %d in %s", mask(from_number), recent, FLOOD_WINDOW)
            return reply
        if responder is not None and responder.active:
            reply = self._answer(responder, parse(body))
        elif phone and self.actions.followups is not None and parse(body).verb != "reserved":
            # Perhaps a caller answering "is it fixed?"; anyone else gets nothing back.
            reply = followups.caller_reply(
                self.session, self.now, phone, body, self.actions.followups
            )
        else:
            reply = None
        if reply is None:
            log.info("SMS %s from unknown number %s ignored", message_sid, mask(from_number))
        record.reply = reply or ""
        try:
            self.session.commit()
        except IntegrityError:
            # The same MessageSid raced us; whatever it did is done, and done once.
            self.session.rollback()
            seen = self.session.scalar(
                select(InboundMessage).where(InboundMessage.message_sid == message_sid)
            )
            return seen.reply or None if seen else None
        return reply

    def _recent_from(self, number: str) -> int:
        """Messages from this number in the flood window, this one included."""
        self.session.flush()
        return (
            self.session.scalar(
                select(func.count())
                .select_from(InboundMessage)
                .where(
                    InboundMessage.from_number == number,
                    InboundMessage.received_at > self.now - FLOOD_WINDOW,
                )
            )
            or 0
        )

    def _answer(self, responder: Responder, command: Command) -> str | None:
        if command.verb == "reserved":
            if command.note in OPT_OUT:
                responder.sms_opted_out = True
            elif command.note in OPT_IN:
                responder.sms_opted_out = False
            return None  # Twilio sends its own reply to these
        if command.verb == "verify" or not responder.verified:
            if command.verb != "verify" or not command.note:
                return (
                    "Your number is not verified yet. Reply with the 6-digit code we sent, or "
                    "ask your team lead to send a new one."
                )
            return verification.check_code(
                self.session, self.actions.clock, responder, command.note, self.secret
            )
        if command.verb == "commands":
            return COMMAND_LIST
        if command.verb == "list":
            return self._list(responder)
        if command.verb == "unknown":
            said = command.note[:40]
            return f'Sorry, "{said}" is not a command. {COMMAND_LIST}'
        try:
            incident = self._incident(responder, command)
            return self._act(responder, command, incident)
        except ActionError as exc:
            return str(exc)

    def _incident(self, responder: Responder, command: Command) -> Incident:
        if command.code is not None:
            row = self.session.scalar(
                select(ReplyCode).where(
                    ReplyCode.responder_id == responder.id, ReplyCode.code == command.code
                )
            )
            if row is None:
                raise ActionError(
                    f"No incident has code {command.code} for you. Reply LIST for open incidents."
                )
            return self.session.get_one(Incident, row.incident_id)
        if command.reference is not None:
            try:
                return get_by_reference(self.session, str(command.reference + REFERENCE_OFFSET))
            except IncidentNotFound:
                raise ActionError(
                    f"There is no incident AH-{command.reference + REFERENCE_OFFSET}."
                ) from None
        latest = self.session.scalar(
            select(Notification)
            .where(
                Notification.responder_id == responder.id,
                Notification.kind == NotificationKind.PAGE,
            )
            .order_by(Notification.id.desc())
            .limit(1)
        )
        if latest is None or latest.incident is None:
            raise ActionError("You have no pages to answer. Reply LIST for open incidents.")
        return latest.incident

    def _act(self, responder: Responder, command: Command, incident: Incident) -> str:
        actions = self.actions
        if command.verb == "ack":
            return actions.acknowledge(incident, responder, Channel.SMS)
        if command.verb == "resolve":
            return actions.resolve(incident, responder, Channel.SMS, command.note)
        if command.verb == "escalate":
            return actions.escalate(incident, responder, Channel.SMS)
        if command.verb == "take":
            return actions.take_over(incident, responder, Channel.SMS)
        if command.verb == "close":
            by_phone = bool(re.search(r"\bphone\b", command.note, re.IGNORECASE))
            return actions.close(incident, responder, Channel.SMS, by_phone)
        if command.verb == "call":
            return actions.call_back(incident, responder, Channel.SMS)
        if command.verb == "sum":
            return actions.summarise(incident, responder, Channel.SMS, command.note)
        return self._details(incident)

    def _details(self, incident: Incident) -> str:
        age = int((self.now - incident.created_at).total_seconds() // 60)
        owner = ""
        if incident.owner and incident.acknowledged_at:
            acked = self.actions.local_time(incident.acknowledged_at)
            owner = f" Owner: {incident.owner.name}, acked {acked}."
        problem = incident.description or ("voicemail" if incident.recording_url else "-")
        return (
            f"{incident.reference} P{incident.priority} {incident.service_name}, {incident.state}, "
            f"opened {age} min ago. {problem[:200]} Impact: {incident.impact_label or 'unknown'}. "
            f"Caller: {display(incident.callback_number)}.{owner}"
        )

    def _list(self, responder: Responder) -> str:
        open_ = list(
            self.session.scalars(
                select(Incident)
                .where(Incident.state.in_([IncidentState.OPEN, IncidentState.ACKNOWLEDGED]))
                .order_by(Incident.priority, Incident.id)
                .limit(8)
            )
        )
        if not open_:
            return "No open incidents."
        codes = {
            row.incident_id: row.code
            for row in self.session.scalars(
                select(ReplyCode).where(ReplyCode.responder_id == responder.id)
            )
        }
        parts = []
        for incident in open_:
            code = f" ({codes[incident.id]})" if incident.id in codes else ""
            owner = f" acked {incident.owner.first_name}" if incident.owner else " unacked"
            parts.append(f"{incident.reference}{code} P{incident.priority} "
                         f"{incident.service_name[:20]}{owner}")  # fmt: skip
        return "Open: " + "; ".join(parts)
