"""The caller's voice menu: a state machine over the call script, one webhook at a time.

State lives in the `calls` row (step, stage, attempts, answers), and every turn is stored with the
reply it got, so each answer is saved as it arrives and a repeated webhook changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import users
from app.calls.hours import BusinessHours
from app.calls.reply import Reply
from app.calls.script import (
    Flow,
    MenuOption,
    MenuStep,
    PhoneStep,
    ReviewStep,
    ServiceStep,
    SpeechStep,
    Step,
)
from app.clock import Clock
from app.incidents import catalog
from app.incidents import service as incident_service
from app.models import (
    Call,
    CallStatus,
    CallTurn,
    Channel,
    Incident,
    IncidentState,
    Service,
    Source,
    User,
)
from app.phones import InvalidNumber, mask, spoken_groups, to_e164, try_e164

log = logging.getLogger(__name__)

GREETING = "greeting"
STAFF = "staff"
FINISHED = "done"
# Answers worth an incident even when the caller hangs up before the end.
USEFUL_ANSWERS = (
    "service_id",
    "service_heard",
    "service_text",
    "description",
    "description_recording",
    "started",
    "impact",
)
TERMINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


@dataclass(frozen=True)
class LineConfig:
    """The parts of the settings the voice menu needs."""

    region: str
    hours: BusinessHours
    helpdesk_numbers: frozenset[str] = frozenset()
    dial_number: str | None = None
    # Text the caller the reference right after the call.
    caller_sms: bool = True
    # At most one "N callers now" update to the owner per this window.
    reporter_window: dt.timedelta = dt.timedelta(minutes=15)


@dataclass
class Heard:
    """What one webhook brought: keys, speech, a recording or how a <Dial> ended."""

    digits: str = ""
    speech: str = ""
    recording_url: str | None = None
    dial_status: str | None = None
    nothing_recorded: bool = False

    @property
    def params(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value}


@dataclass
class _Turn:
    call: Call
    heard: Heard
    reply: Reply
    next_turn: int
    notes: list[str] = field(default_factory=list)


class VoiceMenu:
    def __init__(self, session: Session, clock: Clock, flow: Flow, line: LineConfig) -> None:
        self.session = session
        self.clock = clock
        self.flow = flow
        self.line = line
        self._services: list[Service] | None = None

    # --- webhooks -------------------------------------------------------------------------

    # Every webhook reads first and writes only when it commits (no autoflush): a read halfway
    # through a turn would otherwise write the call early and hold the write locks (SQLite has
    # one writer for the whole file) while the rest of the turn runs.

    def incoming(
        self, call_sid: str, from_number: str, to_number: str, staff: bool = False
    ) -> Reply:
        with self.session.no_autoflush:
            return self._incoming(call_sid, from_number, to_number, staff)

    def answer(self, call_sid: str, turn_number: int, heard: Heard, from_number: str = "") -> Reply:
        with self.session.no_autoflush:
            return self._answer(call_sid, turn_number, heard, from_number)

    def call_ended(self, call_sid: str, status: str, duration: int | None) -> Incident | None:
        """The status callback: an unfinished call leaves an incident or an abandoned-call row."""
        with self.session.no_autoflush:
            return self._call_ended(call_sid, status, duration)

    def _incoming(self, call_sid: str, from_number: str, to_number: str, staff: bool) -> Reply:
        call = self._find(call_sid)
        if call is not None:
            return self._stored_reply(call, 0) or self._reprompt(call)
        now = self.clock.now()
        caller = try_e164(from_number, self.line.region)
        if staff:
            return self._staff_call(call_sid, caller or from_number, to_number, now)
        helpdesk = caller is not None and caller in self.line.helpdesk_numbers
        call = Call(
            call_sid=call_sid,
            from_number=caller or (from_number or "")[:32],
            to_number=(to_number or "")[:32],
            source=Source.HELPDESK_TRANSFER if helpdesk else Source.PHONE,
            business_hours=self.line.hours.is_open(now),
            flow=self.flow.name,
            step=GREETING,
            stage="menu",
            started_at=now,
        )
        self.session.add(call)
        turn = _Turn(call, Heard(), self._new_reply(), next_turn=1)
        greeting = self.flow.greeting
        # Help-desk staff transfer callers at any hour; they want the report taken, not a menu.
        if call.business_hours and not helpdesk:
            turn.reply.say(greeting.business_hours)
            self._ask(turn)
        else:
            turn.reply.say(greeting.helpdesk_transfer if helpdesk else greeting.after_hours)
            self._advance(turn, to=self.flow.steps[0].id)
        log.info("call %s from %s: %s", call_sid, mask(from_number), call.source)
        return self._save(turn, 0, GREETING)

    def _staff_call(self, call_sid: str, from_number: str, to_number: str,
                    now: dt.datetime) -> Reply:  # fmt: skip
        """Help-desk staff reporting for a caller: a PIN first, then the usual questions."""
        call = Call(
            call_sid=call_sid,
            from_number=(from_number or "")[:32],
            to_number=(to_number or "")[:32],
            source=Source.HELPDESK,
            business_hours=False,
            flow=self.flow.name,
            step=STAFF,
            stage="pin",
            started_at=now,
        )
        self.session.add(call)
        turn = _Turn(call, Heard(), self._new_reply(), next_turn=1)
        turn.reply.say(self.flow.staff.greeting)
        self._ask(turn)
        log.info("staff call %s from %s", call_sid, mask(from_number))
        return self._save(turn, 0, STAFF)

    def _staff_pin(self, turn: _Turn) -> None:
        staff = users.staff_by_pin(self.session, turn.heard.digits)
        if staff is not None:
            turn.call.staff_user_id = staff.id
            turn.reply.say(self.flow.staff.welcome.format(name=staff.name.split()[0]))
            self._advance(turn, to=self.flow.steps[0].id)
        elif self._fail_attempt(turn):
            # No report is taken without a known staff member: this entry skips the caller's checks.
            turn.call.step = FINISHED
            turn.call.status = CallStatus.ABANDONED
            turn.reply.say(self.flow.staff.locked).hangup()
        else:
            turn.reply.say(self.flow.staff.wrong_pin)
            self._ask(turn)

    def _answer(self, call_sid: str, turn_number: int, heard: Heard, from_number: str) -> Reply:
        call = self._find(call_sid)
        if call is None:
            # The row is gone (or the first webhook never reached us): start the call afresh.
            return self._incoming(call_sid, from_number, "", staff=False)
        if turn_number != call.turn + 1:
            # Every turn up to call.turn is stored: a repeat gets its stored reply; anything
            # else is out of order and hears the current question again.
            stored = self._stored_reply(call, turn_number) if turn_number <= call.turn else None
            return stored or self._reprompt(call)
        turn = _Turn(call, heard, self._new_reply(), next_turn=turn_number + 1)
        step_id = call.step
        if call.step == GREETING:
            self._greeting(turn)
        elif call.step == STAFF:
            self._staff_pin(turn)
        elif call.step == FINISHED:
            turn.reply.say(self.flow.messages.goodbye).hangup()
        else:
            self._answer_step(turn, self.flow.step(call.step))
        return self._save(turn, turn_number, step_id)

    def _call_ended(self, call_sid: str, status: str, duration: int | None) -> Incident | None:
        call = self._find(call_sid)
        if call is None or status not in TERMINAL_CALL_STATUSES:
            return None
        if call.ended_at is None:
            call.ended_at = self.clock.now()
            call.duration_seconds = duration
        incident = None
        if call.status == CallStatus.IN_PROGRESS:
            if any(call.answers.get(key) for key in USEFUL_ANSWERS):
                incident, _ = self._file_report(call, incomplete=True)
                log.info("call %s hung up during %s: incomplete incident", call_sid, call.step)
            else:
                call.status = CallStatus.ABANDONED
                log.info("call %s hung up during %s: abandoned", call_sid, call.step)
        self.session.commit()
        return incident

    # --- turn bookkeeping -----------------------------------------------------------------

    def _find(self, call_sid: str) -> Call | None:
        return self.session.scalar(select(Call).where(Call.call_sid == call_sid))

    def _stored_reply(self, call: Call, turn_number: int) -> Reply | None:
        row = self.session.scalar(
            select(CallTurn).where(CallTurn.call_id == call.id, CallTurn.turn == turn_number)
        )
        return Reply.from_dict(row.reply) if row else None

    def _reprompt(self, call: Call) -> Reply:
        """An out-of-order webhook: ask the current question again without consuming anything."""
        turn = _Turn(call, Heard(), self._new_reply(), next_turn=call.turn + 1)
        if call.step == FINISHED:
            turn.reply.say(self.flow.messages.goodbye).hangup()
        else:
            self._ask(turn)
        return turn.reply

    def _save(self, turn: _Turn, turn_number: int, step_id: str) -> Reply:
        call = turn.call
        call.turn = turn_number
        try:
            self.session.flush()  # a new call gets its id
            # The turn log is append-only and never read back in this request: a plain insert
            # costs a fraction of a unit-of-work flush, on the line's hottest path.
            self.session.execute(
                insert(CallTurn),
                [{"call_id": call.id, "turn": turn_number, "step": step_id,
                  "params": turn.heard.params, "reply": turn.reply.as_dict(),
                  "at": self.clock.now()}],
            )  # fmt: skip
            self.session.commit()
        except IntegrityError:
            # The same webhook raced us and won; its reply is the one the caller hears.
            self.session.rollback()
            call = self._find(call.call_sid)
            stored = self._stored_reply(call, turn_number) if call else None
            if stored is None:
                raise
            return stored
        return turn.reply

    def _new_reply(self) -> Reply:
        return Reply(language=self.flow.language, voice=self.flow.voice)

    @staticmethod
    def _set(call: Call, **values: Any) -> None:
        # Reassign so the JSON column sees the change.
        call.answers = {**call.answers, **values}

    def _advance(self, turn: _Turn, to: str | None = None) -> None:
        call = turn.call
        if to is None:
            first = self.flow.steps[0].id
            to = first if call.step == GREETING else self.flow.next_step_id(call.step)
        call.attempts = 0
        call.misses = 0
        if to is None:
            self._finish(turn)
            return
        call.step, call.stage = to, "ask"
        self._ask(turn)

    def _fail_attempt(self, turn: _Turn) -> bool:
        """Count a missed or unusable answer; True when the caller has had enough tries."""
        turn.call.attempts += 1
        return turn.call.attempts >= self.flow.max_attempts

    def _sorry(self, turn: _Turn) -> str:
        heard = turn.heard
        if heard.digits or heard.speech:
            return self.flow.messages.not_understood
        return self.flow.messages.no_input

    @property
    def services(self) -> list[Service]:
        if self._services is None:
            self._services = catalog.active_services(self.session)
        return self._services

    # --- asking ---------------------------------------------------------------------------

    def _ask(self, turn: _Turn, retry: bool = False) -> None:
        """Append the question for the call's current step and stage."""
        call, reply, n = turn.call, turn.reply, turn.next_turn
        if call.step == STAFF:
            reply.gather(STAFF, n, [self.flow.staff.pin], num_digits=None, finish_on_key="#",
                         timeout=10)  # fmt: skip
            return
        if call.step == GREETING:
            greeting = self.flow.greeting
            menu = (
                greeting.business_hours_menu
                if self.line.dial_number
                else greeting.business_hours_menu_without_dial
            )
            reply.gather(GREETING, n, [menu])
            return
        step = self.flow.step(call.step)
        if isinstance(step, ServiceStep):
            if call.stage == "known":
                known = self.session.get(Incident, call.answers.get("known_incident") or 0)
                assert known is not None
                status = step.known_taken if known.owner_id else step.known_waiting
                reported = known.created_at.astimezone(self.line.hours.zone)
                text = step.known.format(
                    service=known.service_name,
                    reported_at=reported.strftime("%I:%M %p").lstrip("0"),
                    reference=spoken_reference(known.reference),
                    status=status,
                )
                reply.gather(step.id, n, [*([] if retry else [text]), step.known_menu])
            elif call.stage == "confirm":
                name = self._candidate_name(call)
                text = step.confirm_reprompt if retry else step.confirm
                reply.gather(step.id, n, [text.format(service=name, number="")])
            else:
                text = step.reprompt.format(examples=self._examples()) if retry else step.prompt
                reply.gather(
                    step.id, n, [text], speech=True, hints=catalog.speech_hints(self.services)
                )
        elif isinstance(step, SpeechStep):
            if call.stage == "record":
                reply.record(step.id, n, step.record_prompt or "")
            else:
                reply.gather(
                    step.id,
                    n,
                    [step.reprompt if retry else step.prompt],
                    speech=True,
                    max_speech_seconds=step.max_speech_seconds,
                )
        elif isinstance(step, MenuStep):
            lead = step.reprompt if retry else step.prompt
            reply.gather(step.id, n, [lead, *(option.say for option in step.options)])
        elif isinstance(step, PhoneStep):
            self._ask_phone(turn, step)
        elif isinstance(step, ReviewStep):
            reply.gather(step.id, n, [self._summary(call, step), step.prompt])

    def _ask_phone(self, turn: _Turn, step: PhoneStep) -> None:
        call, reply, n = turn.call, turn.reply, turn.next_turn
        # On the staff entry the number calling is the help desk's: always key the caller's in.
        caller = None if call.staff_user_id else try_e164(call.from_number, self.line.region)
        if call.stage == "ask":
            call.stage = "offer" if caller else "keyin"
        if call.stage == "offer" and caller:
            number = spoken_groups(caller, self.line.region)
            reply.gather(step.id, n, [step.offer_caller_id.format(number=number)])
        elif call.stage == "confirm":
            pending = call.answers.get(f"{step.field}_pending", "")
            number = spoken_groups(pending, self.line.region)
            reply.gather(step.id, n, [step.confirm.format(number=number, service="")])
        else:
            call.stage = "keyin"
            reply.gather(step.id, n, [step.keyin], num_digits=None, finish_on_key="#", timeout=10)

    def _examples(self) -> str:
        names = [service.name for service in self.services[:3]]
        return ", ".join(names[:-1]) + (f", or {names[-1]}" if len(names) > 1 else "".join(names))

    def _candidate_name(self, call: Call) -> str:
        service = self.session.get(Service, call.answers.get("service_candidate") or 0)
        return service.name if service else call.answers.get("service_heard", "")

    def _summary(self, call: Call, step: ReviewStep) -> str:
        answers = call.answers
        service = self.session.get(Service, answers.get("service_id") or 0)
        impact = self._impact_option(answers.get("impact"))
        callback = answers.get("callback")
        description = answers.get("description") or (
            "your recorded message" if answers.get("description_recording") else ""
        )
        return step.summary.format(
            service=service.name if service else answers.get("service_text") or step.missing,
            description=description or step.missing,
            started=answers.get("started") or step.missing,
            impact=impact.label if impact else step.missing,
            callback=spoken_groups(callback, self.line.region) if callback else step.missing,
        )

    def _impact_option(self, value: str | None) -> MenuOption | None:
        return next((o for o in self.flow.impact_options() if o.value == value), None)

    # --- answering ------------------------------------------------------------------------

    def _greeting(self, turn: _Turn) -> None:
        call, heard, greeting = turn.call, turn.heard, self.flow.greeting
        if call.stage == "dial":
            if heard.dial_status == "completed":
                call.status = CallStatus.CONNECTED
                call.step = FINISHED
                turn.reply.say(greeting.dial_completed).hangup()
            else:
                turn.reply.say(greeting.dial_unanswered)
                self._advance(turn)
            return
        if heard.digits == "1" and self.line.dial_number:
            call.stage = "dial"
            turn.reply.say(greeting.connecting)
            turn.reply.dial(GREETING, turn.next_turn, self.line.dial_number)
        elif heard.digits == "2" or self._fail_attempt(turn):
            self._advance(turn)
        else:
            turn.reply.say(self._sorry(turn))
            self._ask(turn, retry=True)

    def _answer_step(self, turn: _Turn, step: Step) -> None:
        if isinstance(step, ServiceStep):
            self._answer_service(turn, step)
        elif isinstance(step, SpeechStep):
            self._answer_speech(turn, step)
        elif isinstance(step, MenuStep):
            self._answer_menu(turn, step)
        elif isinstance(step, PhoneStep):
            self._answer_phone(turn, step)
        elif isinstance(step, ReviewStep):
            self._answer_review(turn, step)

    def _service_chosen(self, turn: _Turn) -> None:
        """If this service already has an open incident, offer to join it instead."""
        service_id = turn.call.answers.get("service_id")
        known = (
            incident_service.active_for_service(self.session, service_id) if service_id else None
        )
        if known is None:
            self._advance(turn)
            return
        self._set(turn.call, known_incident=known.id)
        turn.call.stage, turn.call.attempts = "known", 0
        self._ask(turn)

    def _answer_service(self, turn: _Turn, step: ServiceStep) -> None:
        call, heard, reply = turn.call, turn.heard, turn.reply
        if call.stage == "known":
            # Silence counts as joining: one outage should not start a second page chain.
            if heard.digits == "1" or (heard.digits != "2" and self._fail_attempt(turn)):
                self._set(call, attach_to=call.answers.get("known_incident"))
                reply.say(self.flow.messages.thanks)
                self._advance(turn)
            elif heard.digits == "2":
                self._advance(turn)
            else:
                reply.say(self._sorry(turn))
                self._ask(turn, retry=True)
            return
        if call.stage == "confirm":
            heard_words = call.answers.get("service_heard", "")
            if heard.digits == "1":
                self._set(
                    call, service_id=call.answers.get("service_candidate"), service_text=heard_words
                )
                reply.say(self.flow.messages.thanks)
                self._service_chosen(turn)
            elif heard.digits == "2":
                call.misses += 1
                if call.misses >= step.misses_before_free_text:
                    self._keep_service_words(turn, step, heard_words)
                else:
                    call.stage, call.attempts = "ask", 0
                    self._ask(turn, retry=True)
            elif self._fail_attempt(turn):
                # They never said no: keep the match and move on.
                self._set(
                    call, service_id=call.answers.get("service_candidate"), service_text=heard_words
                )
                self._service_chosen(turn)
            else:
                reply.say(self._sorry(turn))
                self._ask(turn, retry=True)
            return
        words = heard.speech.strip()
        if not words:
            if self._fail_attempt(turn):
                self._advance(turn)
            else:
                reply.say(self._sorry(turn))
                self._ask(turn, retry=True)
            return
        found = catalog.match_service(words, self.services)
        if found is not None:
            self._set(call, service_heard=words, service_candidate=found.service.id)
            call.stage, call.attempts = "confirm", 0
            self._ask(turn)
            return
        call.misses += 1
        self._set(call, service_text=words)
        if call.misses >= step.misses_before_free_text:
            self._keep_service_words(turn, step, words)
        else:
            reply.say(step.not_found.format(heard=words))
            self._ask(turn, retry=True)

    def _keep_service_words(self, turn: _Turn, step: ServiceStep, words: str) -> None:
        self._set(turn.call, service_id=None, service_candidate=None, service_text=words)
        turn.reply.say(step.kept_as_text.format(heard=words))
        self._advance(turn)

    def _answer_speech(self, turn: _Turn, step: SpeechStep) -> None:
        call, heard = turn.call, turn.heard
        if call.stage == "record":
            if heard.recording_url and not heard.nothing_recorded:
                self._set(call, **{f"{step.field}_recording": heard.recording_url})
                turn.reply.say(self.flow.messages.thanks)
            self._advance(turn)
            return
        words = heard.speech.strip()
        if words:
            self._set(call, **{step.field: words})
            self._advance(turn)
            return
        call.attempts += 1
        if step.record_after is not None and call.attempts >= step.record_after:
            call.stage = "record"
            turn.reply.say(self._sorry(turn))
            self._ask(turn)
        elif call.attempts >= self.flow.max_attempts:
            self._advance(turn)
        else:
            turn.reply.say(self._sorry(turn))
            self._ask(turn, retry=True)

    def _answer_menu(self, turn: _Turn, step: MenuStep) -> None:
        option = step.option(key=turn.heard.digits) if turn.heard.digits else None
        if option is not None:
            self._set(turn.call, **{step.field: option.value})
            self._advance(turn)
        elif self._fail_attempt(turn):
            self._set(turn.call, **{step.field: step.default})
            self._advance(turn)
        else:
            turn.reply.say(self._sorry(turn))
            self._ask(turn, retry=True)

    def _answer_phone(self, turn: _Turn, step: PhoneStep) -> None:
        call, heard, reply = turn.call, turn.heard, turn.reply
        caller = None if call.staff_user_id else try_e164(call.from_number, self.line.region)
        pending_key = f"{step.field}_pending"
        if call.stage == "offer":
            if heard.digits == "1" and caller:
                self._set(call, **{step.field: caller})
                self._advance(turn)
            elif heard.digits == "2":
                call.stage, call.attempts = "keyin", 0
                self._ask(turn)
            elif self._fail_attempt(turn):
                self._give_up_on_number(turn, step, caller)
            else:
                reply.say(self._sorry(turn))
                self._ask(turn, retry=True)
        elif call.stage == "confirm":
            if heard.digits == "1":
                self._set(call, **{step.field: call.answers.get(pending_key)})
                self._advance(turn)
            elif heard.digits == "2":
                call.stage, call.attempts = "keyin", 0
                self._ask(turn)
            elif self._fail_attempt(turn):
                self._set(call, **{step.field: call.answers.get(pending_key)})
                self._advance(turn)
            else:
                reply.say(self._sorry(turn))
                self._ask(turn, retry=True)
        else:
            digits = "".join(ch for ch in heard.digits if ch.isdigit())
            try:
                number = to_e164(digits, self.line.region)
            except InvalidNumber:
                if self._fail_attempt(turn):
                    self._give_up_on_number(turn, step, caller)
                    return
                if digits:
                    reply.say(step.invalid.format(digits=" ".join(digits)))
                else:
                    reply.say(self._sorry(turn))
                self._ask(turn, retry=True)
                return
            self._set(call, **{pending_key: number})
            call.stage, call.attempts = "confirm", 0
            self._ask(turn)

    def _give_up_on_number(self, turn: _Turn, step: PhoneStep, caller: str | None) -> None:
        if caller:
            self._set(turn.call, **{step.field: caller})
            turn.reply.say(step.kept_caller_id)
        else:
            turn.reply.say(step.no_number)
        self._advance(turn)

    def _answer_review(self, turn: _Turn, step: ReviewStep) -> None:
        call, heard = turn.call, turn.heard
        if heard.digits == "1" or (heard.digits != "2" and self._fail_attempt(turn)):
            self._finish(turn)
        elif heard.digits == "2":
            call.answers = {}
            turn.reply.say(self.flow.messages.start_over)
            self._advance(turn, to=self.flow.steps[0].id)
        else:
            turn.reply.say(self._sorry(turn))
            self._ask(turn, retry=True)

    # --- the end of the call --------------------------------------------------------------

    def _finish(self, turn: _Turn) -> None:
        incident, added = self._file_report(turn.call, incomplete=False)
        reference = spoken_reference(incident.reference)
        if added:
            turn.reply.say(self.flow.finish.added.format(reference=reference))
        else:
            turn.reply.say(
                self.flow.finish.reference.format(reference=reference), self.flow.finish.next
            )
        turn.reply.hangup()

    def _file_report(self, call: Call, incomplete: bool) -> tuple[Incident, bool]:
        """Join the known incident the caller chose (if still active), else open a new one.
        Returns the incident and whether the report joined an existing one."""
        draft = self._draft(call, incomplete)
        staff = self.session.get(User, call.staff_user_id) if call.staff_user_id else None
        actor = (
            f"help desk: {staff.name}" if staff else mask(draft.caller_number or call.from_number)
        )
        target = self.session.get(Incident, call.answers.get("attach_to") or 0)
        if target is None and draft.service_id and "known_incident" not in call.answers:
            # Someone reported this service while this caller was still answering, so nobody
            # offered it to them: join it rather than start a second page chain. (A caller who
            # was offered it and said "a different problem" keeps their own incident.)
            target = incident_service.active_for_service(self.session, draft.service_id, lock=True)
        joined = target is not None and target.state in (
            IncidentState.OPEN,
            IncidentState.ACKNOWLEDGED,
        )
        if target is not None and joined:
            incident_service.add_report(
                self.session, self.clock, target, draft, actor=actor, channel=Channel.VOICE,
                reporter_window=self.line.reporter_window,
            )  # fmt: skip
            incident = target
        else:
            incident = incident_service.open_incident(
                self.session, self.clock, draft, actor=actor, channel=Channel.VOICE
            )
        call.incident = incident
        call.status = CallStatus.REPORTED
        call.step = FINISHED
        return incident, joined

    def _draft(self, call: Call, incomplete: bool) -> incident_service.IncidentDraft:
        answers = call.answers
        impact = self._impact_option(answers.get("impact"))
        caller = try_e164(call.from_number, self.line.region)
        if call.staff_user_id:
            caller = answers.get("callback")  # the help desk's own number is not the caller's
        return incident_service.IncidentDraft(
            source=call.source,
            # A match the caller never got to confirm is still the best guess there is.
            service_id=answers.get("service_id") or answers.get("service_candidate"),
            service_text=answers.get("service_text") or answers.get("service_heard") or "",
            description=answers.get("description", "") or "",
            recording_url=answers.get("description_recording"),
            started_text=answers.get("started", "") or "",
            impact=impact.value if impact else "",
            impact_label=impact.label if impact else "",
            priority=impact.priority if impact else 3,
            callback_number=answers.get("callback") or caller,
            caller_number=caller,
            incomplete=incomplete,
            call_id=call.id,
            text_caller=self.line.caller_sms,
        )


def spoken_reference(reference: str) -> str:
    """`AH-1042` -> `A, H, 1, 0, 4, 2`: each character on its own, with room to write it down."""
    return ", ".join(ch for ch in reference if ch.isalnum())
