"""A page as a phone call: what the responder hears and what their keys do."""

from __future__ import annotations

from dataclasses import dataclass

from app.calls.reply import Reply
from app.calls.script import PageScript
from app.incidents.actions import IncidentActions
from app.incidents.commands import Action, ActionError, Actor
from app.incidents.reference import spoken_reference
from app.incidents.verbs import Verb
from app.models import Channel, IncidentState, Notification

STEP = "page"
# The keys a paged responder may press, what they do and what they hear then.
KEYS = {"1": (Verb.ACK, "acknowledged"), "3": (Verb.ESCALATE, "escalated")}


@dataclass
class VoicePage:
    script: PageScript
    actions: IncidentActions

    def _reply(self) -> Reply:
        return Reply(language=self.script.language, voice=self.script.voice)

    def _intro(self, page: Notification) -> str:
        incident = page.incident
        assert incident is not None
        problem = incident.description[:300] if incident.description else ""
        if not problem and incident.recording_url:
            problem = "The caller left a recorded message."
        return self.script.intro.format(
            reference=spoken_reference(incident.reference),
            priority=incident.priority,
            service=incident.service_name,
            problem=problem,
            impact=incident.impact_label or "unknown",
        )

    def _menu(self, reply: Reply, page: Notification, *intro: str) -> Reply:
        reply.gather(STEP, 0, [*intro, self.script.menu], timeout=8)
        return reply

    def answered(self, page: Notification | None, answered_by: str) -> Reply:
        reply = self._reply()
        if page is None or page.incident is None:
            return reply.say(self.script.gone).hangup()
        if answered_by.startswith("machine") or answered_by == "fax":
            reference = spoken_reference(page.incident.reference)
            return reply.say(self.script.machine.format(reference=reference)).hangup()
        if page.incident.state != IncidentState.OPEN:
            return reply.say(self.script.gone).hangup()
        self._menu(reply, page, self._intro(page))
        return reply

    def pressed(self, page: Notification | None, digits: str) -> Reply:
        reply = self._reply()
        if page is None or page.incident is None or page.responder is None:
            return reply.say(self.script.gone).hangup()
        incident, responder = page.incident, page.responder
        reference = spoken_reference(incident.reference)
        try:
            if digits in KEYS:
                verb, said = KEYS[digits]
                self.actions.perform(incident, Actor.of(responder), Channel.VOICE, Action(verb))
                return reply.say(getattr(self.script, said).format(reference=reference)).hangup()
        except ActionError as exc:
            return reply.say(self.script.already.format(message=str(exc))).hangup()
        if digits == "2":
            return self._menu(reply, page, self._intro(page))
        if not digits:
            return reply.say(self.script.goodbye).hangup()
        return self._menu(reply, page, self.script.not_understood)
