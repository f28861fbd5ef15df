"""What people do to incidents: acknowledge, resolve, close, escalate, take over, reassign...

SMS replies, voice pages, the dashboard and the API all come through `IncidentActions.perform`,
so the rules (who may act, what a late acknowledgement hears, who gets told) are the same on
every channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.incidents import (
    confirmation,
    contact,
    followups,
    joint_call,
    summaries,
    transitions,
    verbs,
)
from app.incidents.commands import Action, ActionError, Actor, AlreadyHandled, NotAllowed
from app.incidents.followups import FollowUpPolicy
from app.incidents.rules import ActionRules
from app.incidents.timeline import add_event
from app.incidents.verbs import Verb
from app.models import (
    EventKind,
    Incident,
    IncidentState,
    NotificationChannel,
    Responder,
)
from app.paging import broadcasts, escalation, notify, on_request
from app.phones import display
from app.responders import bridge, grammar

# What anyone may write on a timeline in one go (a resolution, a note, a reason).
MAX_NOTE = 2000


@dataclass
class IncidentActions(ActionRules):
    # Text the caller when someone acknowledges ("your report is being worked on").
    text_caller_on_ack: bool = True
    # What happens after a resolution (caller confirmation, the summary); None skips it.
    followups: FollowUpPolicy | None = None

    def perform(self, incident: Incident, actor: Actor, channel: str, action: Action) -> str:
        """Carry out `action` for `actor`; the answer is a sentence fit to send back.
        Raises ActionError (NotAllowed, AlreadyHandled) with the reason when refused."""
        if action.verb == Verb.NOTE:
            return self.add_note(incident, actor.name, channel, action.text)
        me = actor.responder
        if me is None or not me.active:
            # One gate for every channel: someone taken off the roster acts nowhere.
            raise NotAllowed("Only admins and team leads on the roster can do that.")
        verb = action.verb
        if verb == Verb.ACK:
            return self.acknowledge(incident, me, channel)
        if verb == Verb.RESOLVE:
            return self.resolve(incident, me, channel, action.text)
        if verb == Verb.CLOSE:
            return self.close(incident, me, channel, action)
        if verb == Verb.ESCALATE:
            return self.escalate(incident, me, channel)
        if verb == Verb.TAKE:
            return self.take_over(incident, me, channel)
        if verb == Verb.CALL:
            return self.call_back(incident, me, channel)
        if verb == Verb.CONTACTED:
            return self.contacted(incident, me, channel)
        if verb == Verb.JOIN:
            return self.joint_call(incident, me, channel)
        if verb == Verb.SUMMARY:
            return self.summarise(incident, me, channel, action.text)
        if verb == Verb.CANCEL:
            return self.cancel(incident, me, channel, action.text)
        if action.to is None:
            raise ActionError("Choose who takes it over.")
        return self.reassign(incident, me, action.to, channel)

    def acknowledge(self, incident: Incident, responder: Responder, channel: str) -> str:
        self._require(responder, incident, Verb.ACK)
        now = self.clock.now()
        self._take(incident, responder, now, channel, EventKind.ACKNOWLEDGED)
        minutes = int((now - incident.created_at).total_seconds() // 60)
        number = incident.number_to_call
        no_texts = notify.texts_failed_before(self.session, incident, number)
        return (
            f"{incident.reference} acknowledged at {self.local_time(now)} ({minutes} min after "
            f"it opened). Call the caller: {display(number)}."
            + (" They can't receive texts." if no_texts else "")
        )

    def resolve(self, incident: Incident, responder: Responder, channel: str, note: str) -> str:
        note = note[:MAX_NOTE]
        self._require(responder, incident, Verb.RESOLVE)
        now = self.clock.now()
        if incident.state == IncidentState.OPEN:
            self._take(incident, responder, now, channel, EventKind.ACKNOWLEDGED)
        self._move(
            incident,
            responder,
            [IncidentState.ACKNOWLEDGED],
            state=IncidentState.RESOLVED,
            resolved_at=now,
            resolution_note=note.strip(),
            updated_at=now,
        )
        add_event(
            self.session,
            incident,
            now,
            EventKind.RESOLVED,
            responder.name,
            channel,
            note.strip() or "no note",
        )
        if self.followups is not None:
            followups.on_resolved(
                self.session, now, incident, incident.owner or responder, self.followups
            )
        callers = len(notify.caller_numbers(incident))
        return (
            f"{incident.reference} marked resolved at {self.local_time(now)}. "
            f"{callers} caller{'s' if callers != 1 else ''} asked to confirm; "
            f"CLOSE {incident.number} once they do."
        )

    def close(self, incident: Incident, responder: Responder, channel: str, action: Action) -> str:
        self._require(responder, incident, Verb.CLOSE)
        confirmation.check_closing(incident, action.by_phone, action.no_reply)
        now = self.clock.now()
        try:
            return confirmation.close(
                self.session, now, incident, responder, channel, by_phone=action.by_phone
            )
        except transitions.Lost:
            raise AlreadyHandled(self._already(incident, responder)) from None

    def call_back(self, incident: Incident, responder: Responder, channel: str) -> str:
        self._require(responder, incident, Verb.CALL)
        if not incident.callback_number:
            raise ActionError(f"{incident.reference} has no callback number.")
        taken = self._take_if_open(incident, responder, channel)
        bridge.start(self.session, self.clock.now(), incident, responder)
        return (
            f"{taken}Calling you now for {incident.reference}; answer to be connected to "
            f"{display(incident.number_to_call)}. They will see the line's number."
        )

    def contacted(self, incident: Incident, responder: Responder, channel: str) -> str:
        """The admin says they are in contact with the customer (a call from their own phone)."""
        self._require(responder, incident, Verb.CONTACTED)
        now, taken = self.clock.now(), self._take_if_open(incident, responder, channel)
        if not contact.record(self.session, now, incident, "admin", responder.name, channel):
            return f"{taken}{incident.reference}: contact was already recorded."
        minutes = int((now - incident.created_at).total_seconds() // 60)
        return (
            f"{taken}{incident.reference}: contact with the customer recorded at "
            f"{self.local_time(now)} ({minutes} min after it opened)."
        )

    def joint_call(self, incident: Incident, responder: Responder, channel: str) -> str:
        """A conference for the incident: the line calls the caller (once) and whoever asked."""
        self._require(responder, incident, Verb.JOIN)
        if not incident.callback_number:
            raise ActionError(f"{incident.reference} has no callback number.")
        taken = self._take_if_open(incident, responder, channel)
        started = joint_call.invite(self.session, self.clock.now(), incident, responder, channel)
        return f"{taken}{started}"

    def _take_if_open(self, incident: Incident, responder: Responder, channel: str) -> str:
        """Calling the customer is taking the incident: acknowledged, and the reply says so."""
        if incident.state != IncidentState.OPEN:
            return ""
        now = self.clock.now()
        self._take(incident, responder, now, channel, EventKind.ACKNOWLEDGED)
        return f"{incident.reference} acknowledged at {self.local_time(now)} (yours now). "

    def summarise(self, incident: Incident, responder: Responder, channel: str, text: str) -> str:
        self._require(responder, incident, Verb.SUMMARY)
        now = self.clock.now()
        try:
            minutes, work = grammar.split_time_and_work(text)
            recipients = summaries.submit(
                self.session, now, incident, responder, minutes, work, channel, self.zone
            )
        except (grammar.TimeSpentError, summaries.SummaryError) as exc:
            raise ActionError(str(exc)) from None
        spent = summaries.format_minutes(minutes)
        sent = summaries.sent_to(incident, recipients)
        return f"Summary for {incident.reference} saved ({spent}){sent}"

    def escalate(self, incident: Incident, responder: Responder, channel: str) -> str:
        self._require(responder, incident, Verb.ESCALATE)
        if incident.state == IncidentState.ACKNOWLEDGED:
            if incident.owner_id != responder.id:
                raise AlreadyHandled(self._already(incident, responder))
            return self._hand_on(incident, responder, channel)
        now = self.clock.now()
        chain = {
            "escalation_step": incident.escalation_step,
            "escalation_cycle": incident.escalation_cycle,
            "next_escalation_at": incident.next_escalation_at,
        }
        # Two people escalating at once move the chain one step, not two.
        self._move(incident, responder, [IncidentState.OPEN], chain, updated_at=now)
        paged = on_request.escalate_now(self.session, now, incident, responder, channel)
        who = ", ".join(r.name for r in paged) or "nobody else could be reached"
        return f"{incident.reference} escalated: paging {who} now."

    def _hand_on(self, incident: Incident, responder: Responder, channel: str) -> str:
        """The owner cannot go on with it: it is nobody's again and the chain asks the next
        person, who must acknowledge it (and is escalated past if they do not)."""
        now = self.clock.now()
        self._move(
            incident,
            responder,
            [IncidentState.ACKNOWLEDGED],
            {"owner_id": responder.id},
            state=IncidentState.OPEN,
            owner_id=None,
            handed_on_at=now,
            contact_check_at=None,
            updated_at=now,
        )
        paged = on_request.hand_on(self.session, now, incident, responder, channel)
        who = ", ".join(r.name for r in paged) or "nobody else could be reached"
        return f"{incident.reference} handed on: no longer yours; paging {who} now."

    def take_over(self, incident: Incident, responder: Responder, channel: str) -> str:
        # Anyone on the roster may take an incident over: the state alone decides.
        self._require_state(Verb.TAKE, incident, responder)
        if incident.owner_id == responder.id:
            raise AlreadyHandled(f"{incident.reference} is already yours.")
        now = self.clock.now()
        previous = incident.owner
        self._take(incident, responder, now, channel, EventKind.TAKEN_OVER)
        if previous is not None:
            notify.notify_responder(
                self.session,
                now,
                previous,
                f"{responder.name} took over {incident.reference} at {self.local_time(now)}.",
                incident,
            )
        return f"{incident.reference} is yours now. Caller: {display(incident.number_to_call)}."

    def add_note(self, incident: Incident, author: str, channel: str, note: str) -> str:
        note = note.strip()[:MAX_NOTE]
        if not note:
            raise ActionError("A note needs some words.")
        now = self.clock.now()
        incident.updated_at = now
        add_event(self.session, incident, now, EventKind.NOTE, author, channel, note)
        return f"Note added to {incident.reference}."

    def reassign(
        self, incident: Incident, responder: Responder, to: Responder, channel: str
    ) -> str:
        """Hand the incident to someone else; they are paged so they know it is theirs."""
        self._require(responder, incident, Verb.REASSIGN)
        if not to.verified or not to.active:
            raise ActionError(f"{to.name}'s number is not verified, so they cannot be paged.")
        now = self.clock.now()
        previous = incident.owner
        was_open = incident.state == IncidentState.OPEN
        values: dict[str, object] = {"owner_id": to.id, "updated_at": now}
        if was_open:
            values.update(state=IncidentState.ACKNOWLEDGED, acknowledged_at=now)
        self._move(incident, responder, [incident.state], {"owner_id": incident.owner_id}, **values)
        if was_open:
            escalation.stop(self.session, incident)
        add_event(
            self.session,
            incident,
            now,
            EventKind.REASSIGNED,
            responder.name,
            channel,
            f"to {to.name}" + (f" (was {previous.name})" if previous else ""),
        )
        notify.queue_page(self.session, now, incident, to, NotificationChannel.SMS, None, None)
        return f"{incident.reference} is now {to.name}'s; they have been paged."

    def cancel(self, incident: Incident, responder: Responder, channel: str, reason: str) -> str:
        if not responder.is_lead:
            raise NotAllowed("Only a team lead or director can cancel an incident.")
        self._require_state(Verb.CANCEL, incident, responder)
        now = self.clock.now()
        self._move(
            incident,
            responder,
            list(verbs.ALLOWED[Verb.CANCEL]),
            state=IncidentState.CANCELLED,
            updated_at=now,
            confirm_reminder_at=None,
            reporter_update_at=None,
        )
        escalation.stop(self.session, incident)
        add_event(
            self.session,
            incident,
            now,
            EventKind.CANCELLED,
            responder.name,
            channel,
            reason.strip() or "no reason given",
        )
        return f"{incident.reference} cancelled."

    # --- shared -------------------------------------------------------------------------------

    def _take(
        self,
        incident: Incident,
        responder: Responder,
        now: dt.datetime,
        channel: str,
        kind: EventKind,
    ) -> None:
        first_ack = incident.state == IncidentState.OPEN
        # Handed on by its owner: the callers already heard it was taken, and time to
        # acknowledge keeps the first acknowledgement.
        handed_on = first_ack and incident.acknowledged_at is not None
        if first_ack:
            self._move(
                incident,
                responder,
                [IncidentState.OPEN],
                owner_id=responder.id,
                state=IncidentState.ACKNOWLEDGED,
                acknowledged_at=incident.acknowledged_at or now,
                updated_at=now,
                contact_check_at=(
                    self.followups.first_contact_check(incident, now) if self.followups else None
                ),
            )
            escalation.stop(self.session, incident)
        else:
            self._move(
                incident,
                responder,
                [incident.state],
                {"owner_id": incident.owner_id},
                owner_id=responder.id,
                updated_at=now,
            )
        add_event(
            self.session,
            incident,
            now,
            kind,
            responder.name,
            channel,
            f"{int((now - incident.created_at).total_seconds() // 60)} min after opening"
            if first_ack
            else "",
        )
        if first_ack:
            notify.tell_taken(self.session, now, incident, responder, self.local_time(now))
            if self.text_caller_on_ack and not handed_on:
                # Each caller was promised a call back, not just the first: all hear it is taken.
                broadcasts.queue(self.session, now, incident, broadcasts.News.TAKEN)
