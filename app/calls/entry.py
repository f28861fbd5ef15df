"""The steps around the call script: the business-hours greeting and putting the caller
through, the staff PIN, and the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app import users
from app.calls import filing
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
from app.incidents import joint_call
from app.incidents.reference import number_to_id, parse_reference, spoken_reference
from app.incidents.rules import may_act
from app.incidents.timeline import add_event
from app.models import (
    CallStage,
    CallStatus,
    Channel,
    EventKind,
    Incident,
    IncidentState,
    Role,
    Service,
)
from app.paging import notify, oncall
from app.phones import mask
from app.responders import directory

if TYPE_CHECKING:
    from app.calls.menu import VoiceMenu


def greet(menu: VoiceMenu, turn: Turn, helpdesk: bool) -> None:
    """The greeting for the kind of call, then its first question."""
    flow = menu.flow
    greeting, line = flow.greeting, flow.line_name
    if turn.call.business_hours and not helpdesk:
        turn.reply.say(greeting.business_hours.format(line=line))
        turn.call.step, turn.call.stage = GREETING, CallStage.MENU
        menu.ask(turn)
    else:
        # Help-desk staff transfer callers at any hour; they want the report taken, not a menu.
        text = greeting.helpdesk_transfer if helpdesk else greeting.after_hours
        turn.reply.say(text.format(line=line))
        menu.advance(turn, to=flow.steps[0].id)


class Greeting(StepHandler):
    """Business hours: be put through to the service's administrator (1; the service is asked
    first) or report an outage (2)."""

    def ask(self, turn: Turn, retry: bool = False) -> None:
        turn.reply.gather(GREETING, turn.next_turn, [self.flow.greeting.business_hours_menu])

    def answer(self, turn: Turn) -> None:
        if turn.heard.digits == "1":
            turn.set(put_through=True)
            self.menu.advance(turn)
        elif turn.heard.digits == "2" or self.menu.fail_attempt(turn):
            self.menu.advance(turn)
        else:
            self.sorry(turn)


class PutThrough(StepHandler):
    """Business hours, the service known: its primary administrator, then the backup, then the
    team lead, each dialled in turn and asked to press 1 to take the call (the whisper). If
    nobody takes it, the caller's report is taken."""

    def start(self, turn: Turn, service: Service | None) -> bool:
        """Begin dialling; False when there is nobody to dial."""
        numbers = self._numbers(service)
        if not numbers:
            return False
        turn.set(
            dial_list=numbers,
            dial_index=0,
            dial_service=self._name(turn, service),
            dial_from=turn.call.step,
        )
        turn.call.step, turn.call.stage = PUT_THROUGH, CallStage.DIAL
        self._dial(turn, self.flow.greeting.connecting)
        return True

    def ask(self, turn: Turn, retry: bool = False) -> None:
        self._dial(turn, self.flow.greeting.connecting)

    def answer(self, turn: Turn) -> None:
        call, greeting = turn.call, self.flow.greeting
        index = turn.answer("dial_index", 0)
        # The whisper's "press 1" marks this dial (its turn) as taken.
        taken = turn.answer("taken") == turn.next_turn - 1
        if turn.heard.dial_status == "completed" and taken:
            call.status = CallStatus.CONNECTED
            call.step = FINISHED
            menu = self.menu
            filing.record_put_through(
                menu.session,
                menu.clock.now(),
                menu.flow,
                menu.line,
                call,
                taken_at=turn.answer("dial_list")[index],
            )
            turn.reply.say(greeting.dial_completed).hangup()
            return
        if index + 1 < len(turn.answer("dial_list", [])):
            turn.set(dial_index=index + 1)
            self._dial(turn, greeting.connecting_next)
            return
        # Nobody took it: on with the report, from just after the service question.
        turn.set(put_through=False)
        turn.reply.say(greeting.dial_unanswered)
        call.step, call.stage = turn.answer("dial_from"), CallStage.ASK
        self.menu.after_service(turn)

    def _dial(self, turn: Turn, text: str) -> None:
        number = turn.answer("dial_list")[turn.answer("dial_index", 0)]
        turn.reply.say(text.format(service=turn.answer("dial_service", "")))
        turn.reply.dial(PUT_THROUGH, turn.next_turn, number, whisper=turn.call.call_sid)

    def _numbers(self, service: Service | None) -> list[str]:
        people = [service.primary_admin, service.backup_admin] if service else []
        numbers = [p.phone for p in people if p is not None and p.active]
        leads = oncall.with_role(self.menu.session, Role.TEAM_LEAD)
        lead = self.menu.line.dial_number or next((r.phone for r in leads if r.verified), None)
        if lead:
            numbers.append(lead)
        return list(dict.fromkeys(numbers))

    def _name(self, turn: Turn, service: Service | None) -> str:
        return service.name if service else turn.answer("service_text") or "a service"


class JoinCall(StepHandler):
    """A responder's number calling the line while a joint call is open: the incident number
    and pound, and the line calls the responder's own phone into it; just pound (or a number
    with no joint call this responder may join) goes on to a report.

    A caller ID is a claim anyone can make: this call is never put in the room itself. Only an
    active, verified responder who may act on the incident is called, on the number the roster
    holds, so whoever is really on this call hears only that the line is calling back."""

    def ask(self, turn: Turn, retry: bool = False) -> None:
        texts = self.flow.joint_call
        turn.reply.gather(
            JOIN_CALL, turn.next_turn, [texts.call_in], num_digits=None, finish_on_key="#"
        )

    def answer(self, turn: Turn) -> None:
        session, call, digits = self.menu.session, turn.call, turn.heard.digits
        incident_id = number_to_id(int(digits)) if digits.isdigit() else None
        incident = session.get(Incident, incident_id or 0)
        responder = directory.by_phone(session, call.from_number)
        if (
            incident is not None
            and responder is not None
            and responder.active
            and responder.verified
            and joint_call.is_open(incident)
            and may_act(session, responder, incident)
        ):
            now = self.menu.clock.now()
            joint_call.invite(session, now, incident, responder, Channel.VOICE, caller=False)
            call.status, call.step = CallStatus.CONNECTED, FINISHED
            text = self.flow.joint_call.calling_back.format(
                line=self.flow.line_name, reference=spoken_reference(incident.reference)
            )
            turn.reply.say(text).hangup()
            return
        if digits:
            turn.reply.say(self.flow.joint_call.no_such_call)
        turn.reply.say(self.flow.greeting.after_hours.format(line=self.flow.line_name))
        self.menu.advance(turn, to=self.flow.steps[0].id)


class Returning(StepHandler):
    """A caller whose report is still open calls again from the same number: where it stands
    first, then 1 to add something (their words go on the timeline and to the owner) or 2 for
    a different problem (the usual report)."""

    def start(self, turn: Turn, incident: Incident) -> None:
        texts = self.flow.returning
        if incident.state == IncidentState.ACKNOWLEDGED:
            status = texts.working
        else:
            # Spoken as a clock reads, in the line's zone: "2:05 AM".
            paged_at = incident.waiting_since.astimezone(self.menu.line.hours.zone)
            status = texts.paged.format(time=paged_at.strftime("%I:%M %p").lstrip("0"))
        known = texts.known.format(
            reference=spoken_reference(incident.reference),
            service=incident.service_for_callers,
            status=status,
        )
        turn.set(returning_to=incident.id)
        turn.call.step, turn.call.stage = RETURNING, CallStage.MENU
        turn.reply.say(known)
        self.ask(turn)

    def ask(self, turn: Turn, retry: bool = False) -> None:
        texts = self.flow.returning
        if turn.call.stage == CallStage.ASK:
            turn.reply.gather(RETURNING, turn.next_turn, [texts.add], speech=True)
        else:
            turn.reply.gather(RETURNING, turn.next_turn, [texts.menu])

    def answer(self, turn: Turn) -> None:
        call, heard = turn.call, turn.heard
        if call.stage == CallStage.MENU:
            if heard.digits == "1":
                call.stage, call.attempts = CallStage.ASK, 0
                self.ask(turn)
            elif heard.digits == "2" or self.menu.fail_attempt(turn):
                turn.reply.say(self.flow.greeting.after_hours.format(line=self.flow.line_name))
                self.menu.advance(turn, to=self.flow.steps[0].id)
            else:
                self.sorry(turn)
            return
        incident = self.menu.session.get(Incident, turn.answer("returning_to") or 0)
        if heard.speech and incident is not None:
            self._add(turn, incident, heard.speech)
            turn.reply.say(self.flow.returning.added).hangup()
        elif self.menu.fail_attempt(turn) or incident is None:
            call.status, call.step = CallStatus.ABANDONED, FINISHED
            turn.reply.say(self.flow.returning.nothing_added).hangup()
        else:
            self.sorry(turn, spoken=True)

    def _add(self, turn: Turn, incident: Incident, words: str) -> None:
        session, now, call = self.menu.session, self.menu.clock.now(), turn.call
        caller = mask(call.from_number)
        add_event(
            session,
            incident,
            now,
            EventKind.NOTE,
            caller,
            Channel.VOICE,
            f"the caller added: {words}",
        )
        if incident.owner is not None:
            notify.notify_responder(
                session,
                now,
                incident.owner,
                f"{incident.reference}: the caller called again and added: {words}",
                incident,
                limit=320,
            )
        call.incident = incident
        call.status, call.step = CallStatus.REPORTED, FINISHED


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
            said = turn.answer("reference", "")
            turn.reply.say(self.flow.finish.reference.format(reference=spoken_reference(said)))
            if call.staff_user_id:
                incident_id = parse_reference(said)
                found = self.menu.session.get(Incident, incident_id) if incident_id else None
                self.menu.say_ticket(turn, found)
        else:
            call.stage = CallStage.ASK
        self.ask(turn)
