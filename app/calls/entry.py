"""The steps around the call script: the business-hours greeting, the staff PIN, and the end."""

from __future__ import annotations

from app import users
from app.calls.turn import FINISHED, GREETING, STAFF, StepHandler, Turn
from app.incidents.reference import spoken_reference
from app.models import CallStage, CallStatus


class Greeting(StepHandler):
    """Business hours: be put through to a person (1) or report an outage (2)."""

    def ask(self, turn: Turn, retry: bool = False) -> None:
        greeting = self.flow.greeting
        menu = (
            greeting.business_hours_menu
            if self.menu.line.dial_number
            else greeting.business_hours_menu_without_dial
        )
        turn.reply.gather(GREETING, turn.next_turn, [menu])

    def answer(self, turn: Turn) -> None:
        call, heard, greeting = turn.call, turn.heard, self.flow.greeting
        if call.stage == CallStage.DIAL:
            if heard.dial_status == "completed":
                call.status = CallStatus.CONNECTED
                call.step = FINISHED
                turn.reply.say(greeting.dial_completed).hangup()
            else:
                turn.reply.say(greeting.dial_unanswered)
                self.menu.advance(turn)
            return
        dial_number = self.menu.line.dial_number
        if heard.digits == "1" and dial_number:
            call.stage = CallStage.DIAL
            turn.reply.say(greeting.connecting)
            turn.reply.dial(GREETING, turn.next_turn, dial_number)
        elif heard.digits == "2" or self.menu.fail_attempt(turn):
            self.menu.advance(turn)
        else:
            self.sorry(turn)


class StaffPin(StepHandler):
    """The help-desk staff entry: a PIN before anything else."""

    def ask(self, turn: Turn, retry: bool = False) -> None:
        turn.reply.gather(
            STAFF,
            turn.next_turn,
            [self.flow.staff.pin],
            num_digits=None,
            finish_on_key="#",
            timeout=10,
        )

    def answer(self, turn: Turn) -> None:
        staff = users.staff_by_pin(
            self.menu.session, self.menu.clock.now(), turn.heard.digits, turn.call.from_number
        )
        if staff is not None:
            turn.call.staff_user_id = staff.id
            turn.reply.say(self.flow.staff.welcome.format(name=staff.name.split()[0]))
            self.menu.advance(turn, to=self.flow.steps[0].id)
        elif self.menu.fail_attempt(turn):
            # No report is taken without a known staff member: this entry skips the caller's checks.
            turn.call.step = FINISHED
            turn.call.status = CallStatus.ABANDONED
            turn.reply.say(self.flow.staff.locked).hangup()
        else:
            turn.reply.say(self.flow.staff.wrong_pin)
            self.ask(turn)


class Finished(StepHandler):
    """The report is filed: 1 hears the reference again (a few times), anything else goodbye.
    Anything after the end of the call (a late or repeated webhook) hears goodbye too."""

    def ask(self, turn: Turn, retry: bool = False) -> None:
        finish = self.flow.finish
        if turn.call.stage == CallStage.REPEAT and turn.call.attempts < finish.repeats:
            turn.reply.gather(FINISHED, turn.next_turn, [finish.hear_again], timeout=5)
        else:
            turn.reply.say(self.flow.messages.goodbye).hangup()

    def answer(self, turn: Turn) -> None:
        call = turn.call
        if call.stage == CallStage.REPEAT and turn.heard.digits == "1":
            call.attempts += 1
            reference = spoken_reference(turn.answer("reference", ""))
            turn.reply.say(self.flow.finish.reference.format(reference=reference))
        else:
            call.stage = CallStage.ASK
        self.ask(turn)
