"""One handler per kind of step: what the caller is asked, and what their answer does.

The turn engine (`menu.VoiceMenu`) finds the handler for the call's current step in `HANDLERS`
and calls `ask` to put the question, or `answer` with what the caller pressed or said.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.calls.callback_number import PhoneQuestion
from app.calls.entry import Finished, Greeting, JoinCall, PutThrough, Returning, StaffPin
from app.calls.reply import is_twilio_recording
from app.calls.script import (
    ClaimStep,
    MenuStep,
    PhoneStep,
    ReviewStep,
    ServiceStep,
    SpeechStep,
    Step,
)
from app.calls.turn import (
    FINISHED,
    GREETING,
    JOIN_CALL,
    PUT_THROUGH,
    RETURNING,
    STAFF,
    StepHandler,
    Turn,
)
from app.incidents import catalog
from app.incidents.reference import spoken_reference
from app.models import CallStage, Incident, Service
from app.phones import spoken_groups

if TYPE_CHECKING:
    from app.calls.menu import VoiceMenu


class ServiceQuestion(StepHandler):
    """Which service: spoken, matched against the catalog, confirmed; an open incident for it is
    offered to join."""

    def __init__(self, menu: VoiceMenu, step: ServiceStep) -> None:
        super().__init__(menu)
        self.step = step

    def ask(self, turn: Turn, retry: bool = False) -> None:
        step, call, n = self.step, turn.call, turn.next_turn
        if call.stage == CallStage.KNOWN:
            text = self._known_text(turn)
            turn.reply.gather(step.id, n, [*([] if retry else [text]), step.known_menu])
        elif call.stage == CallStage.CONFIRM:
            text = step.confirm_reprompt if retry else step.confirm
            turn.reply.gather(
                step.id, n, [text.format(service=self._candidate_name(turn), number="")]
            )
        else:
            # With no catalog to draw examples from, the hint is the question again.
            examples = self._examples() if retry else ""
            text = step.reprompt.format(examples=examples) if examples else step.prompt
            hints = catalog.speech_hints(self.menu.services)
            turn.reply.gather(
                step.id,
                n,
                [text],
                speech=True,
                hints=hints,
                speech_model=step.speech_model or self.flow.speech_model,
            )

    def answer(self, turn: Turn) -> None:
        if turn.call.stage == CallStage.KNOWN:
            self._answer_known(turn)
        elif turn.call.stage == CallStage.CONFIRM:
            self._answer_confirm(turn)
        else:
            self._answer_words(turn)

    def _known_text(self, turn: Turn) -> str:
        step = self.step
        known = self.menu.session.get(Incident, turn.answer("known_incident") or 0)
        assert known is not None
        reported = known.created_at.astimezone(self.menu.line.hours.zone)
        service = self.menu.service_entry(known.service_id)
        return step.known.format(
            service=service.name if service else known.service_name,
            reported_at=reported.strftime("%I:%M %p").lstrip("0"),
            reference=spoken_reference(known.reference),
            status=step.known_taken if known.owner_id else step.known_waiting,
        )

    def _answer_known(self, turn: Turn) -> None:
        digits = turn.heard.digits
        # Silence counts as joining: one outage should not start a second page chain.
        if digits == "1" or (digits != "2" and self.menu.fail_attempt(turn)):
            turn.set(attach_to=turn.answer("known_incident"))
            turn.reply.say(self.flow.messages.thanks)
            self.menu.advance(turn)
        elif digits == "2":
            self.menu.advance(turn)
        else:
            self.sorry(turn)

    def _answer_confirm(self, turn: Turn) -> None:
        call, digits = turn.call, turn.heard.digits
        heard_words = turn.answer("service_heard", "")
        if digits == "1":
            turn.set(service_id=turn.answer("service_candidate"), service_text=heard_words)
            turn.reply.say(self.flow.messages.thanks)
            self._chosen(turn)
        elif digits == "2":
            call.misses += 1
            if call.misses >= self.step.misses_before_free_text:
                self._keep_words(turn, heard_words)
            else:
                turn.move_to(CallStage.ASK)
                self.ask(turn, retry=True)
        elif self.menu.fail_attempt(turn):
            # They never said no: keep the match and move on.
            turn.set(service_id=turn.answer("service_candidate"), service_text=heard_words)
            self._chosen(turn)
        else:
            self.sorry(turn)

    def _answer_words(self, turn: Turn) -> None:
        call, words = turn.call, turn.heard.speech.strip()
        if not words:
            if self.menu.fail_attempt(turn):
                self._chosen(turn)
            else:
                self.sorry(turn, spoken=True)
            return
        found = catalog.match_service(words, self.menu.services)
        if found is not None:
            turn.set(service_heard=words, service_candidate=found.service.id)
            turn.move_to(CallStage.CONFIRM)
            self.ask(turn)
            return
        call.misses += 1
        turn.set(service_text=words)
        if call.misses >= self.step.misses_before_free_text:
            self._keep_words(turn, words)
        else:
            turn.reply.say(self.step.not_found.format(heard=words))
            self.ask(turn, retry=True)

    def _chosen(self, turn: Turn) -> None:
        """The service is settled: in business hours, when asked, put the caller through to its
        administrators; otherwise (or when nobody takes it) on with the report."""
        service_id = turn.answer("service_id")
        if turn.answer("put_through"):
            service = self.menu.session.get(Service, service_id) if service_id else None
            if PutThrough(self.menu).start(turn, service):
                return
        self.menu.after_service(turn)

    def _keep_words(self, turn: Turn, words: str) -> None:
        turn.set(service_id=None, service_candidate=None, service_text=words)
        turn.reply.say(self.step.kept_as_text.format(heard=words))
        self._chosen(turn)

    def _examples(self) -> str:
        names = [service.name for service in self.menu.services[:3]]
        return ", ".join(names[:-1]) + (f", or {names[-1]}" if len(names) > 1 else "".join(names))

    def _candidate_name(self, turn: Turn) -> str:
        found = self.menu.service_entry(turn.answer("service_candidate"))
        return found.name if found else turn.answer("service_heard", "")


class SpeechQuestion(StepHandler):
    """A spoken answer (what is wrong, when it began); a recording when speech keeps failing."""

    def __init__(self, menu: VoiceMenu, step: SpeechStep) -> None:
        super().__init__(menu)
        self.step = step

    def ask(self, turn: Turn, retry: bool = False) -> None:
        step = self.step
        if step.staff_only and not turn.call.staff_user_id:
            self.menu.advance(turn)
            return
        if turn.call.stage == CallStage.RECORD:
            turn.reply.record(step.id, turn.next_turn, step.record_prompt or "")
            return
        turn.reply.gather(
            step.id,
            turn.next_turn,
            [step.reprompt if retry else step.prompt],
            speech=True,
            max_speech_seconds=step.max_speech_seconds,
            speech_model=step.speech_model or self.flow.speech_model,
        )

    def answer(self, turn: Turn) -> None:
        call, heard, step = turn.call, turn.heard, self.step
        if call.stage == CallStage.RECORD:
            if is_twilio_recording(heard.recording_url) and not heard.nothing_recorded:
                turn.set(**{f"{step.field}_recording": heard.recording_url})
                turn.reply.say(self.flow.messages.thanks)
            self.menu.advance(turn)
            return
        words = heard.speech.strip()
        if words:
            turn.set(**{step.field: words})
            self.menu.advance(turn)
            return
        if step.optional and not heard.digits:
            self.menu.advance(turn)  # not worth insisting on
            return
        call.attempts += 1
        if step.record_after is not None and call.attempts >= step.record_after:
            call.stage = CallStage.RECORD
            self.sorry(turn, spoken=True)
        elif call.attempts >= self.flow.max_attempts:
            self.menu.advance(turn)
        else:
            self.sorry(turn, spoken=True)


class MenuQuestion(StepHandler):
    """A keypad menu (the impact): one key per option, the default after too many misses."""

    def __init__(self, menu: VoiceMenu, step: MenuStep) -> None:
        super().__init__(menu)
        self.step = step

    def ask(self, turn: Turn, retry: bool = False) -> None:
        step = self.step
        # A retry gives the short hint, not every option again.
        prompts = [step.reprompt] if retry else [step.prompt, *(o.say for o in step.options)]
        turn.reply.gather(step.id, turn.next_turn, prompts)

    def answer(self, turn: Turn) -> None:
        step = self.step
        option = step.option(key=turn.heard.digits) if turn.heard.digits else None
        if option is not None:
            turn.set(**{step.field: option.value})
            self.menu.advance(turn)
        elif self.menu.fail_attempt(turn):
            turn.set(**{step.field: step.default})
            self.menu.advance(turn)
        else:
            self.sorry(turn)


class ClaimQuestion(StepHandler):
    """A claim only the caller can make (a CAS customer): 1 yes, anything else no. Skipped when
    the records already say it (a CAS service, or a CAS customer's number)."""

    def __init__(self, menu: VoiceMenu, step: ClaimStep) -> None:
        super().__init__(menu)
        self.step = step

    def ask(self, turn: Turn, retry: bool = False) -> None:
        if self.menu.known_priority_customer(turn):
            self.menu.advance(turn)
            return
        step = self.step
        prompt = step.staff_prompt if turn.call.staff_user_id else step.prompt
        turn.reply.gather(step.id, turn.next_turn, [prompt])

    def answer(self, turn: Turn) -> None:
        digits = turn.heard.digits
        if digits in ("1", "2") or self.menu.fail_attempt(turn):
            turn.set(**{self.step.field: digits == "1"})
            self.menu.advance(turn)
        else:
            self.sorry(turn)


class Review(StepHandler):
    """Everything read back: 1 sends the report, 2 starts over."""

    def __init__(self, menu: VoiceMenu, step: ReviewStep) -> None:
        super().__init__(menu)
        self.step = step

    def ask(self, turn: Turn, retry: bool = False) -> None:
        turn.reply.gather(self.step.id, turn.next_turn, [self._summary(turn), self.step.prompt])

    def answer(self, turn: Turn) -> None:
        digits = turn.heard.digits
        if digits == "1" or (digits != "2" and self.menu.fail_attempt(turn)):
            self.menu.finish(turn)
        elif digits == "2":
            turn.call.answers = {}
            turn.reply.say(self.flow.messages.start_over)
            self.menu.advance(turn, to=self.flow.steps[0].id)
        else:
            self.sorry(turn)

    def _summary(self, turn: Turn) -> str:
        step, missing = self.step, self.step.missing
        service = self.menu.service_entry(turn.answer("service_id"))
        impact = self.menu.impact_option(turn.answer("impact"))
        callback = turn.answer("callback")
        recorded = "your recorded message" if turn.answer("description_recording") else ""
        return step.summary.format(
            service=service.name if service else turn.answer("service_text") or missing,
            description=turn.answer("description") or recorded or missing,
            started=turn.answer("started") or missing,
            last_worked=turn.answer("last_worked") or missing,
            impact=(impact.heard or impact.label) if impact else missing,
            callback=spoken_groups(callback, self.region) if callback else missing,
        )

    @property
    def region(self) -> str:
        return self.menu.line.region


# The handler for each kind of step in a call script.
HANDLERS: dict[type[Step], type[StepHandler]] = {
    ServiceStep: ServiceQuestion,
    SpeechStep: SpeechQuestion,
    MenuStep: MenuQuestion,
    PhoneStep: PhoneQuestion,
    ClaimStep: ClaimQuestion,
    ReviewStep: Review,
}
PSEUDO_STEPS: dict[str, type[StepHandler]] = {
    GREETING: Greeting,
    STAFF: StaffPin,
    PUT_THROUGH: PutThrough,
    JOIN_CALL: JoinCall,
    RETURNING: Returning,
    FINISHED: Finished,
}


def handler_for(menu: VoiceMenu, step_id: str) -> StepHandler:
    if step_id in PSEUDO_STEPS:
        return PSEUDO_STEPS[step_id](menu)
    step = menu.flow.step(step_id)
    return HANDLERS[type(step)](menu, step)
