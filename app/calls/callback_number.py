"""The callback number: the number calling (press 1) or one keyed in, validated and read back.
On the staff line and on a help-desk transfer the number calling is the help desk's, so the
customer's own number is always keyed in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.calls.script import PhoneStep
from app.calls.turn import StepHandler, Turn
from app.models import CallStage, Source
from app.phones import InvalidNumber, NotCallable, spoken_groups

if TYPE_CHECKING:
    from app.calls.menu import VoiceMenu


class PhoneQuestion(StepHandler):
    """The callback number: the number calling (press 1) or one keyed in and read back."""

    def __init__(self, menu: VoiceMenu, step: PhoneStep) -> None:
        super().__init__(menu)
        self.step = step
        self.region = menu.line.region

    def _caller(self, turn: Turn) -> str | None:
        """The number calling, if it may be called back: a caller ID that fails the policy (a
        premium-rate number, another country, the help desk's) is never offered or kept."""
        # On the staff entry and on a transfer, the number calling is the help desk's: the
        # caller's own number is always keyed in.
        call = turn.call
        if call.staff_user_id or call.source == Source.HELPDESK_TRANSFER:
            return None
        return self.menu.line.callback.usable(call.from_number)

    def ask(self, turn: Turn, retry: bool = False) -> None:
        call, step, n = turn.call, self.step, turn.next_turn
        caller = self._caller(turn)
        if call.stage == CallStage.ASK:
            call.stage = CallStage.OFFER if caller else CallStage.KEYIN
        if call.stage == CallStage.OFFER and caller:
            number = spoken_groups(caller, self.region)
            turn.reply.gather(step.id, n, [step.offer_caller_id.format(number=number)])
        elif call.stage == CallStage.CONFIRM:
            number = spoken_groups(turn.answer(f"{step.field}_pending", ""), self.region)
            turn.reply.gather(step.id, n, [step.confirm.format(number=number, service="")])
        else:
            call.stage = CallStage.KEYIN
            keyin = step.staff_keyin if call.staff_user_id else step.keyin
            turn.reply.gather(step.id, n, [keyin], num_digits=None, finish_on_key="#", timeout=10)

    def answer(self, turn: Turn) -> None:
        if turn.call.stage == CallStage.OFFER:
            self._answer_offer(turn)
        elif turn.call.stage == CallStage.CONFIRM:
            self._answer_confirm(turn)
        else:
            self._answer_keyed(turn)

    def _answer_offer(self, turn: Turn) -> None:
        caller, digits = self._caller(turn), turn.heard.digits
        if digits == "1" and caller:
            turn.set(**{self.step.field: caller})
            self.menu.advance(turn)
        elif digits == "2":
            turn.move_to(CallStage.KEYIN)
            self.ask(turn)
        elif self.menu.fail_attempt(turn):
            self._give_up(turn)
        else:
            self.sorry(turn)

    def _answer_confirm(self, turn: Turn) -> None:
        digits, field = turn.heard.digits, self.step.field
        if digits == "2":
            turn.move_to(CallStage.KEYIN)
            self.ask(turn)
        elif digits == "1" or self.menu.fail_attempt(turn):
            turn.set(**{field: turn.answer(f"{field}_pending")})
            self.menu.advance(turn)
        else:
            self.sorry(turn)

    def _answer_keyed(self, turn: Turn) -> None:
        digits = "".join(ch for ch in turn.heard.digits if ch.isdigit())
        if turn.call.staff_user_id and not digits:
            # Pound alone: the customer has no number and will call back. The help desk's own
            # number is never stored in its place.
            turn.set(**{self.step.field: None})
            turn.reply.say(self.step.staff_no_number)
            self.menu.advance(turn)
            return
        try:
            number = self.menu.line.callback.check(digits)
        except NotCallable:
            # A premium-rate or foreign number: the line will not dial it, and says so.
            if self.menu.fail_attempt(turn):
                self._give_up(turn)
            else:
                turn.reply.say(self.step.not_callable)
                self.ask(turn, retry=True)
            return
        except InvalidNumber:
            if self.menu.fail_attempt(turn):
                self._give_up(turn)
            elif digits:
                turn.reply.say(self.step.invalid.format(digits=" ".join(digits)))
                self.ask(turn, retry=True)
            else:
                self.sorry(turn)
            return
        turn.set(**{f"{self.step.field}_pending": number})
        turn.move_to(CallStage.CONFIRM)
        self.ask(turn)

    def _give_up(self, turn: Turn) -> None:
        caller = self._caller(turn)
        if caller:
            turn.set(**{self.step.field: caller})
            turn.reply.say(self.step.kept_caller_id)
        else:
            turn.reply.say(self.step.no_number)
        self.menu.advance(turn)
