"""The SMS desk: answers one inbound text, from a responder (a command, read by `grammar`)
or from a caller (WORKS or BROKEN), and acts through the same incident actions as every channel."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.incidents import confirmation, verbs
from app.incidents.actions import IncidentActions
from app.incidents.commands import Action, ActionError, Actor
from app.incidents.reference import IncidentNotFound, get_by_reference
from app.incidents.verbs import Verb
from app.models import (
    FINISHED_STATES,
    REFERENCE_OFFSET,
    UNRESOLVED_STATES,
    Channel,
    InboundMessage,
    Incident,
    Notification,
    NotificationKind,
    ReplyCode,
    Responder,
)
from app.paging import verification
from app.phones import display, mask, try_e164
from app.responders import directory
from app.responders.grammar import COMMAND_LIST, OPT_IN, OPT_OUT, Command, Word, parse

log = logging.getLogger(__name__)

FLOOD_WINDOW = dt.timedelta(minutes=5)
# LIST names this many open incidents (one reply of about 1,000 characters) and counts the rest.
LIST_LIMIT = 20
FLOOD_REPLY = "Too many messages in a few minutes; the line is ignoring this number for a while."


@dataclass
class SmsDesk:
    """Answers one inbound SMS; the reply goes back in the webhook's own TwiML."""

    session: Session
    actions: IncidentActions
    secret: str
    region: str = "US"
    # More than this many texts from one number within FLOOD_WINDOW are stored, not acted on.
    flood_limit: int = 20

    @property
    def now(self) -> dt.datetime:
        return self.actions.clock.now()

    def handle(self, message_sid: str, from_number: str, body: str) -> str | None:
        seen = self._stored(message_sid)
        if seen is not None:
            return seen.reply or None
        try:
            return self._handle_new(message_sid, from_number, body)
        except IntegrityError:
            # The same MessageSid raced us (Twilio delivered it twice at once): whatever the
            # other copy did is done, once, and this copy gets its reply.
            self.session.rollback()
            seen = self._stored(message_sid)
            if seen is None:
                raise
            return seen.reply or None

    def _stored(self, message_sid: str) -> InboundMessage | None:
        return self.session.scalar(
            select(InboundMessage).where(InboundMessage.message_sid == message_sid)
        )

    def _handle_new(self, message_sid: str, from_number: str, body: str) -> str | None:
        phone = try_e164(from_number, self.region)
        responder = directory.by_phone(self.session, phone)
        record = InboundMessage(
            message_sid=message_sid,
            from_number=phone or from_number[:32],
            responder_id=responder.id if responder else None,
            body=body[:1600],
            received_at=self.now,
        )
        self.session.add(record)
        recent = self._recent_from(record.from_number)
        if recent > self.flood_limit:
            # A flood (a loop, a stuck phone, an attack): keep every message, act on none, and
            # answer only the first one over the limit so the line never amplifies it.
            first_over = recent == self.flood_limit + 1
            reply = FLOOD_REPLY if first_over and responder is not None else None
            log.warning("SMS flood from %s: %d in %s", mask(from_number), recent, FLOOD_WINDOW)
        elif responder is not None and responder.active:
            reply = self._answer(responder, parse(body))
        elif phone and self.actions.followups is not None and parse(body).verb != Word.RESERVED:
            # Perhaps a caller answering "is it fixed?"; anyone else gets nothing back.
            reply = confirmation.caller_reply(
                self.session, self.now, phone, body, self.actions.followups
            )
        else:
            reply = None
            log.info("SMS %s from unknown number %s ignored", message_sid, mask(from_number))
        record.reply = reply or ""
        self.session.commit()
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
        if command.verb == Word.RESERVED:
            if command.note in OPT_OUT:
                responder.sms_opted_out = True
            elif command.note in OPT_IN:
                responder.sms_opted_out = False
            return None  # Twilio sends its own reply to these
        if command.verb == Word.VERIFY or not responder.verified:
            if command.verb != Word.VERIFY or not command.note:
                return (
                    "Your number is not verified yet. Reply with the 6-digit code we sent, or "
                    "ask your team lead to send a new one."
                )
            return verification.check_code(
                self.session, self.now, responder, command.note, self.secret
            )
        if command.verb == Word.COMMANDS:
            return COMMAND_LIST
        if command.verb == Word.LIST:
            return self._list(responder)
        if not isinstance(command.verb, Verb):
            said = command.note[:40]
            return f'Sorry, "{said}" is not a command. {COMMAND_LIST}'
        try:
            incident = self._incident(responder, command.verb, command)
            return self._act(responder, command.verb, command, incident)
        except ActionError as exc:
            return str(exc)

    def _incident(self, responder: Responder, verb: Verb, command: Command) -> Incident:
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
        candidates = self._candidates(responder, verb)
        if len(candidates) > 1:
            # Guessing would act on the wrong outage: ask, naming each one's reply.
            choices = "; ".join(
                f"{self._reply_for(responder, verb, i)} for {i.reference} {i.service_name[:20]}"
                for i in candidates[:4]
            )
            raise ActionError(f"Which one? Reply {choices}.")
        if candidates:
            return candidates[0]
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

    def _candidates(self, responder: Responder, verb: Verb) -> list[Incident]:
        """The incidents a bare command could mean: paged to or owned by this responder, in a
        state the command fits (finished ones only for the verbs that fit nothing else, such as
        a summary), newest first."""
        states = verbs.ALLOWED[verb] - FINISHED_STATES or verbs.ALLOWED[verb]
        paged = select(Notification.incident_id).where(
            Notification.responder_id == responder.id, Notification.kind == NotificationKind.PAGE
        )
        query = (
            select(Incident)
            .where(
                Incident.state.in_(states),
                or_(Incident.owner_id == responder.id, Incident.id.in_(paged)),
            )
            .order_by(Incident.id.desc())
        )
        return list(self.session.scalars(query))

    def _reply_for(self, responder: Responder, verb: Verb, incident: Incident) -> str:
        letter = verbs.LETTER.get(verb)
        code = self.session.scalar(
            select(ReplyCode.code).where(
                ReplyCode.responder_id == responder.id, ReplyCode.incident_id == incident.id
            )
        )
        if letter and code is not None:
            return f"{code}{letter}"
        return f"{verb.upper()} {incident.number}"

    def _act(self, responder: Responder, verb: Verb, command: Command, incident: Incident) -> str:
        if verb == Verb.INFO:
            return self._details(incident)
        action = Action(
            verb,
            text=command.note,
            by_phone=bool(re.search(r"\bphone\b", command.note, re.IGNORECASE)),
            no_reply=bool(re.search(r"\bno[\s-]?reply\b", command.note, re.IGNORECASE)),
        )
        return self.actions.perform(incident, Actor.of(responder), Channel.SMS, action)

    def _details(self, incident: Incident) -> str:
        age = int((self.now - incident.created_at).total_seconds() // 60)
        owner = ""
        if incident.owner and incident.acknowledged_at:
            acked = self.actions.local_time(incident.acknowledged_at)
            owner = f" Owner: {incident.owner.name}, acked {acked}."
        problem = incident.description or ("voicemail" if incident.recording_url else "-")
        cas = " CAS (said so)" if incident.cas_claimed and not incident.priority_customer else ""
        tester = (
            f" Tests with you: {incident.responsible_party}." if incident.responsible_party else ""
        )
        return (
            f"{incident.reference} P{incident.priority}{cas} {incident.service_name}, "
            f"{incident.state}, opened {age} min ago. {problem[:200]} Impact: "
            f"{incident.impact_label or 'unknown'}. Caller: {display(incident.callback_number)}."
            f"{tester}{owner}"
        )

    def _list(self, responder: Responder) -> str:
        unresolved = Incident.state.in_(UNRESOLVED_STATES)
        total = (
            self.session.scalar(select(func.count()).select_from(Incident).where(unresolved)) or 0
        )
        open_ = list(
            self.session.scalars(
                select(Incident)
                .where(unresolved)
                # CAS customers first at the same priority, as the support process has it.
                .order_by(Incident.priority, Incident.priority_customer.desc(), Incident.id)
                .limit(LIST_LIMIT)
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
            parts.append(
                f"{incident.reference}{code} P{incident.priority} "
                f"{incident.service_name[:20]}{owner}"
            )
        # Never silently shorter than the truth: what did not fit is counted.
        more = total - len(open_)
        return "Open: " + "; ".join(parts) + (f"; and {more} more on the dashboard" if more else "")
