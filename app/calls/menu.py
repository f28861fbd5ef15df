"""The caller's voice menu as a turn engine over the call script, one webhook at a time.

State lives in the `calls` row (step, stage, attempts, answers), and every turn is stored with the
reply it got, so each answer is saved as it arrives and a repeated webhook changes nothing. What
each step asks and what its answers do is in `steps`; filing the report is in `filing`;
storing a turn is in `store`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calls import callers, filing, language_choice, store, turn_state
from app.calls.entry import Returning, greet
from app.calls.reply import Reply
from app.calls.script import Flow, MenuOption
from app.calls.steps import PSEUDO_STEPS, handler_for
from app.calls.turn import (
    FINISHED,
    GREETING,
    JOIN_CALL,
    RETURNING,
    STAFF,
    Heard,
    LineConfig,
    Turn,
)
from app.clock import Clock
from app.db import SINGLE_STATEMENT
from app.incidents import catalog
from app.incidents import service as incident_service
from app.incidents.reference import spoken_reference
from app.languages import TEAM
from app.models import (
    Call,
    CallStage,
    CallStatus,
    Incident,
    Source,
)
from app.paging.notify import sms_capable
from app.phones import mask, try_e164

log = logging.getLogger(__name__)

# The end of a call whose report was filed: built once, as every call ends this way.
FILED_CALL_ENDED = (
    update(Call)
    .where(
        Call.call_sid == bindparam("sid"),
        Call.ended_at.is_(None),
        Call.status != CallStatus.IN_PROGRESS,
    )
    .values(ended_at=bindparam("ended_at"), duration_seconds=bindparam("duration"))
    .execution_options(synchronize_session=False, **SINGLE_STATEMENT)
)

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


class VoiceMenu:
    def __init__(
        self, session: Session, clock: Clock, flows: Flow | Mapping[str, Flow], line: LineConfig
    ) -> None:
        self.session = session
        self.clock = clock
        # The script in each language the line speaks; `flow` is the one this call is in.
        self.flows = {flows.code: flows} if isinstance(flows, Flow) else dict(flows)
        self.flow = self.flows.get(TEAM) or next(iter(self.flows.values()))
        self.line = line
        self._services: tuple[catalog.Entry, ...] | None = None

    # --- webhooks -------------------------------------------------------------------------

    # Every webhook reads first and writes only when it commits (no autoflush): a read halfway
    # through a turn would otherwise write the call early and hold the write locks (SQLite has
    # one writer for the whole file) while the rest of the turn runs.

    def incoming(
        self, call_sid: str, from_number: str, to_number: str, staff: bool = False
    ) -> Reply:
        with self.session.no_autoflush:
            return self._incoming(call_sid, from_number, to_number, staff)

    def answer(
        self,
        call_sid: str,
        turn_number: int,
        heard: Heard,
        from_number: str = "",
        state: str | None = None,
    ) -> Reply:
        """`state`: where the call stood, as the turn's URL says (`turn_state`); a plain turn
        then needs no read of the call's row."""
        with self.session.no_autoflush:
            claimed = turn_state.decode(state)
            light = (
                self._light_answer(call_sid, turn_number, heard, claimed, from_number)
                if claimed
                else None
            )
            # The incident the caller was told of comes with the row, for the review to file into.
            told_of = claimed.carried.get("known_incident") if claimed else None
            return light or self._answer(call_sid, turn_number, heard, from_number, told_of)

    def call_ended(self, call_sid: str, status: str, duration: int | None) -> Incident | None:
        """The status callback: an unfinished call leaves an incident or an abandoned-call row."""
        if status in TERMINAL_CALL_STATUSES and self._ended_filed_call(call_sid, duration):
            return None
        with self.session.no_autoflush:
            return self._call_ended(call_sid, status, duration)

    def _ended_filed_call(self, call_sid: str, duration: int | None) -> bool:
        """Most calls end after their report was filed: that end is one UPDATE by CallSid.
        Anything else (a call still in progress, a repeated callback) takes the full path."""
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            FILED_CALL_ENDED,
            {"sid": call_sid, "ended_at": self.clock.now(), "duration": duration},
        )
        if result.rowcount != 1:
            return False
        self.session.commit()
        return True

    def whisper(self, call_sid: str, attempt: int) -> Reply:
        """What the administrator hears on answering a put-through: who, and press 1 to take it."""
        call = self._find(call_sid)
        # Words from the caller's script (saying their language), in the team's voice.
        team = self.flows.get(TEAM, self.flow)
        reply = Reply(language=team.language, voice=team.voice)
        if call is None or call.status != CallStatus.IN_PROGRESS:
            return reply.hangup()
        service = call.answers.get("dial_service", "a service")
        text = self.flow.greeting.whisper.format(service=service)
        return reply.gather("whisper", attempt, [text], timeout=6)

    def whisper_answered(self, call_sid: str, attempt: int, digits: str) -> Reply:
        """1 takes the call (the caller is connected); anything else passes it on."""
        call = self._find(call_sid)
        reply = self.new_reply()
        if call is None or digits != "1":
            return reply.hangup()
        call.answers = {**call.answers, "taken": attempt}
        self.session.commit()
        return reply

    def _incoming(self, call_sid: str, from_number: str, to_number: str, staff: bool) -> Reply:
        # A repeated first webhook is not looked for first: storing the call again fails on its
        # CallSid, and _save answers with the reply the first one got.
        now = self.clock.now()
        number, helpdesk = self._caller(from_number, staff)
        # Help-desk staff on their own line speak the team's language, and report for others.
        known = callers.Caller() if staff else callers.who_is_calling(self.session, number)
        self.flow = self.flows.get(known.language or "", self.flow)
        call = Call(
            call_sid=call_sid,
            from_number=number,
            to_number=(to_number or "")[:32],
            source=Source.HELPDESK
            if staff
            else Source.HELPDESK_TRANSFER
            if helpdesk
            else Source.PHONE,
            business_hours=not staff and self.line.hours.is_open(now),
            flow=self.flow.name,
            language=self.flow.code,
            step=STAFF if staff else GREETING,
            stage=CallStage.PIN if staff else CallStage.MENU,
            started_at=now,
            answers={},
        )
        self.session.add(call)
        turn = Turn(call, Heard(), self.new_reply(), next_turn=1)
        if staff:
            # Help-desk staff reporting for a caller: a PIN first, then the usual questions.
            turn.reply.say(self.flow.staff.greeting)
            self.ask(turn)
        elif known.may_join:
            # A responder calling in while a joint call is open: key the reference to join.
            call.step, call.stage = JOIN_CALL, CallStage.KEYIN
            self.ask(turn)
        elif not helpdesk and known.open_incident_id is not None:
            # Calling again about a report still open: it comes first.
            Returning(self).start(turn, self.session.get_one(Incident, known.open_incident_id))
            language_choice.offer(self, turn)
        else:
            greet(self, turn, helpdesk)
            language_choice.offer(self, turn)
        log.info("call %s from %s: %s", call_sid, mask(from_number), call.source)
        first = call.step if call.step in (STAFF, JOIN_CALL, RETURNING) else GREETING
        return self.save_turn(turn, 0, first)

    def _caller(self, from_number: str, staff: bool) -> tuple[str, bool]:
        """The number a call is kept under (E.164 when it is one), and whether it is the help
        desk's (a transfer)."""
        caller = try_e164(from_number, self.line.region)
        helpdesk = not staff and caller is not None and caller in self.line.helpdesk_numbers
        return caller or (from_number or "")[:32], helpdesk

    def _answer(
        self,
        call_sid: str,
        turn_number: int,
        heard: Heard,
        from_number: str,
        told_of: int | None = None,
    ) -> Reply:
        call = self._find(call_sid, told_of)
        if call is None:
            # The row is gone (or the first webhook never reached us): start the call afresh.
            return self._incoming(call_sid, from_number, "", staff=False)
        if turn_number != call.turn + 1:
            # Every turn up to call.turn is stored: a repeat gets its stored reply; anything
            # else is out of order and hears the current question again.
            stored = self._stored_reply(call, turn_number) if turn_number <= call.turn else None
            return stored or self._reprompt(call)
        turn = Turn(call, heard, self.new_reply(), next_turn=turn_number + 1)
        if (chosen := language_choice.chosen(self, turn)) is not None:
            return language_choice.switch(self, turn, chosen, turn_number)
        step_id = call.step
        handler_for(self, step_id).answer(turn)
        return self.save_turn(turn, turn_number, step_id)

    def _light_answer(
        self,
        call_sid: str,
        turn_number: int,
        heard: Heard,
        claimed: turn_state.TurnState,
        from_number: str,
    ) -> Reply | None:
        """The turn from its URL's state and one conditional write; None when the turn needs
        the row or the row is not where the URL said (nothing is kept of the attempt)."""
        flow = self.flows.get(claimed.language)
        if flow is None or not self._is_step(flow, claimed.step):
            return None
        chosen_before, self.flow = self.flow, flow
        # The number and source the first webhook would have stored, from this one's `From`:
        # claims too, which the write checks against the row.
        number, helpdesk = self._caller(from_number, staff=False)
        source = Source.HELPDESK_TRANSFER if helpdesk else Source.PHONE
        call = turn_state.LightCall(call_sid, claimed, turn_number, number, source)
        # The step handlers take a Call; a LightCall answers for the parts a plain turn uses.
        turn = Turn(cast(Call, call), heard, self.new_reply(), next_turn=turn_number + 1)
        try:
            if language_choice.chosen(self, turn) is not None:
                raise turn_state.RowNeeded("language")
            handler_for(self, claimed.step).answer(turn)
            self._carry_state(turn)
            logged = self._logged(turn, turn_number, claimed.step)
            if store.save_light_turn(self.session, call, logged):
                self.session.commit()
                return turn.reply
        except turn_state.RowNeeded:
            pass
        self.session.rollback()
        self.flow = chosen_before
        return None

    @staticmethod
    def _is_step(flow: Flow, step_id: str) -> bool:
        return step_id in PSEUDO_STEPS or any(step.id == step_id for step in flow.steps)

    def _call_ended(
        self, call_sid: str, status: str, duration: int | None, stuck: bool = False
    ) -> Incident | None:
        call = self._find(call_sid)
        if call is None or (status not in TERMINAL_CALL_STATUSES and not stuck):
            return None
        if call.ended_at is None:
            call.ended_at = self.clock.now()
            call.duration_seconds = duration
        incident = None
        if call.status == CallStatus.IN_PROGRESS:
            if any(call.answers.get(key) for key in USEFUL_ANSWERS):
                incident = self._file(call, incomplete=True).incident
                log.info("call %s hung up during %s: incomplete incident", call_sid, call.step)
            else:
                call.status = CallStatus.ABANDONED
                log.info("call %s hung up during %s: abandoned", call_sid, call.step)
        self.session.commit()
        return incident

    def end_stuck(self, call_sid: str) -> None:
        """A call no webhook has spoken of for too long (calls/stuck.py) ends as a hang-up."""
        with self.session.no_autoflush:
            self._call_ended(call_sid, "no-webhook", None, stuck=True)

    # --- what the step handlers use ---------------------------------------------------------

    @property
    def services(self) -> tuple[catalog.Entry, ...]:
        if self._services is None:
            self._services = catalog.CACHE.entries(self.session)
        return self._services

    def ask(self, turn: Turn, retry: bool = False) -> None:
        """Append the question for the call's current step and stage."""
        handler_for(self, turn.call.step).ask(turn, retry)

    def advance(self, turn: Turn, to: str | None = None) -> None:
        """On to step `to` (by default the next one), or to the end of the call."""
        call = turn.call
        if to is None:
            first = self.flow.steps[0].id
            to = first if call.step == GREETING else self.flow.next_step_id(call.step)
        call.attempts = 0
        call.misses = 0
        if to is None:
            self.finish(turn)
            return
        call.step, call.stage = to, CallStage.ASK
        self.ask(turn)

    def after_service(self, turn: Turn) -> None:
        """The service is settled: if it already has an open incident, offer to join it."""
        service_id = turn.answer("service_id")
        known = (
            incident_service.active_for_service(self.session, service_id) if service_id else None
        )
        if known is None:
            self.advance(turn)
            return
        turn.set(known_incident=known.id)
        turn.move_to(CallStage.KNOWN)
        self.ask(turn)

    def known_priority_customer(self, turn: Turn) -> bool:
        """The records already say CAS: the service, or the caller's own number."""
        service = self.service_entry(turn.answer("service_id"))
        if service is not None and service.priority_customer:
            return True
        return incident_service.is_priority_customer(self.session, None, turn.call.from_number)

    def service_entry(self, service_id: int | None) -> catalog.Entry | None:
        """An active service from the cached catalog (no read of the database)."""
        return catalog.by_id(self.services, service_id)

    def fail_attempt(self, turn: Turn) -> bool:
        """Count a missed or unusable answer; True when the caller has had enough tries."""
        turn.call.attempts += 1
        return turn.call.attempts >= self.flow.max_attempts

    def impact_option(self, value: str | None) -> MenuOption | None:
        return filing.impact_option(self.flow, value)

    def finish(self, turn: Turn) -> None:
        """File the report and tell the caller its reference and what happens next, as it will
        happen; then they may hear the reference again."""
        call = turn.call
        finish, staff = self.flow.finish, bool(call.staff_user_id)
        if not staff and not self.said_anything(call):
            # Silence and stray keys all the way: nothing to page anyone about. The call stays
            # on record as abandoned, with its number.
            call.status, call.step = CallStatus.ABANDONED, FINISHED
            turn.reply.say(finish.nothing_heard).hangup()
            return
        filed = self._file(call, incomplete=False)
        incident, number = filed.incident, filed.draft.callback_number
        reference = spoken_reference(incident.reference)
        said = finish.reference
        if filed.joined:
            said = finish.staff_added if staff else finish.added
        turn.reply.say(said.format(reference=reference))
        if staff:
            self.say_ticket(turn, incident)
        # The receipt is texted to this caller's callback number when it can take texts.
        if self.line.caller_sms and sms_capable(number):
            turn.reply.say(finish.staff_texted if staff else finish.texted)
        turn.reply.say(self._what_next(filed, staff))
        turn.set(reference=incident.reference)
        turn.move_to(CallStage.REPEAT)
        self.ask(turn)

    def _what_next(self, filed: filing.Filed, staff: bool) -> str:
        finish = self.flow.finish
        if not filed.draft.callback_number:
            return finish.staff_next_no_number if staff else finish.next_no_number
        if filed.joined:
            return finish.staff_added_next if staff else finish.added_next
        if staff:
            return finish.staff_next
        return finish.next_business_hours if filed.draft.business_hours else finish.next

    def said_anything(self, call: Call) -> bool:
        """Anything worth a report: words, a recording, or an impact the caller chose (the
        menu's default, given after missed tries, is not a choice)."""
        answers = call.answers
        if any(answers.get(key) for key in USEFUL_ANSWERS if key != "impact"):
            return True
        impact = answers.get("impact")
        return impact is not None and impact != self.flow.default_impact()

    def say_ticket(self, turn: Turn, incident: Incident | None) -> None:
        """Help-desk staff hear the ticket's id once the ticketing system has given one (an
        added report's incident has it already; a new one by the time they press 1 again)."""
        if incident is not None and incident.ticket_id:
            ticket = spoken_reference(incident.ticket_id)
            turn.reply.say(self.flow.finish.staff_ticket.format(ticket=ticket))

    # --- turn bookkeeping -----------------------------------------------------------------

    def _file(self, call: Call, incomplete: bool) -> filing.Filed:
        return filing.file_report(
            self.session, self.clock.now(), self.flow, self.line, call, incomplete
        )

    def _find(self, call_sid: str, with_incident: int | None = None) -> Call | None:
        call = store.find(self.session, call_sid, with_incident)
        if call is not None:
            # Everything the call hears from here is in its caller's language.
            self.flow = self.flows.get(call.language, self.flow)
        return call

    def _stored_reply(self, call: Call, turn_number: int) -> Reply | None:
        stored = store.stored_reply(self.session, call, turn_number)
        return Reply.from_dict(stored) if stored is not None else None

    def _reprompt(self, call: Call) -> Reply:
        """An out-of-order webhook: ask the current question again without consuming anything."""
        turn = Turn(call, Heard(), self.new_reply(), next_turn=call.turn + 1)
        self.ask(turn)
        self._carry_state(turn)
        return turn.reply

    def save_turn(self, turn: Turn, turn_number: int, step_id: str) -> Reply:
        call = turn.call
        call.turn = turn_number
        self._carry_state(turn)
        logged = self._logged(turn, turn_number, step_id)
        try:
            store.save_turn(self.session, call, logged)
            self.session.commit()
        except IntegrityError:
            # The same webhook raced us and won; its reply is the one the caller hears.
            self.session.rollback()
            found = self._find(call.call_sid)
            stored = self._stored_reply(found, turn_number) if found else None
            if stored is None:
                raise
            return stored
        return turn.reply

    def _logged(self, turn: Turn, turn_number: int, step_id: str) -> dict[str, Any]:
        return {
            "turn": turn_number,
            "step": step_id,
            "params": turn.heard.params,
            "reply": turn.reply.as_dict(),
            "at": self.clock.now(),
        }

    @staticmethod
    def _carry_state(turn: Turn) -> None:
        """Put where the call now stands into the URLs of the reply's next turn."""
        state = turn_state.of_call(turn.call)
        if state is not None:
            turn.reply.carry(turn.next_turn, state.encode())

    def new_reply(self) -> Reply:
        return Reply(language=self.flow.language, voice=self.flow.voice)
