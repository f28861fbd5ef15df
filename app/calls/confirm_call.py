"""The line calling a caller who cannot get texts, after the fix: 1 it works, 2 still broken.
Nobody pressing anything (or a machine answering) means one more try later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.calls.reply import Reply
from app.calls.script import Flow
from app.incidents import confirmation
from app.incidents.followups import FollowUpPolicy
from app.incidents.reference import spoken_reference
from app.models import Channel, Notification
from app.paging import caller_reach

STEP = "confirm"
# The menu is asked this many times before the call ends as unanswered.
TRIES = 2


def _still_asking(call: Notification | None) -> bool:
    """The call is one of these, and its incident still waits for this caller's word."""
    return call is not None and caller_reach.awaiting_answer(call)


@dataclass
class ConfirmCall:
    session: Session
    now: dt.datetime
    flow: Flow
    policy: FollowUpPolicy

    def _reply(self) -> Reply:
        return Reply(language=self.flow.language, voice=self.flow.voice)

    def answered(self, call: Notification | None, machine: bool) -> Reply:
        texts, reply = self.flow.confirm_call, self._reply()
        if not _still_asking(call):
            return reply.say(texts.gone).hangup()
        assert call is not None and call.incident is not None
        reference = spoken_reference(call.incident.reference)
        if machine:
            machine_text = texts.machine.format(line=self.flow.line_name, reference=reference)
            return reply.say(machine_text).hangup()
        intro = texts.intro.format(
            line=self.flow.line_name,
            reference=reference,
            service=call.incident.service_for_callers,
        )
        return reply.gather(STEP, 1, [intro, texts.menu], timeout=8)

    def pressed(self, call: Notification | None, digits: str, turn: int) -> Reply:
        texts, reply = self.flow.confirm_call, self._reply()
        if not _still_asking(call):
            return reply.say(texts.gone).hangup()
        assert call is not None and call.incident is not None
        incident = call.incident
        report = confirmation.report_for(incident, call.to_number)
        if report is not None and digits == "1":
            confirmation.confirm_works(
                self.session, self.now, incident, report, self.policy, Channel.VOICE
            )
            return reply.say(texts.works).hangup()
        if report is not None and digits == "2":
            confirmation.reopen(
                self.session, self.now, incident, report, self.policy, Channel.VOICE
            )
            return reply.say(texts.broken).hangup()
        if turn < TRIES:
            reply.say(texts.not_understood)
            return reply.gather(STEP, turn + 1, [texts.menu], timeout=8)
        caller_reach.call_unanswered(self.session, self.now, call)
        return reply.say(texts.no_answer).hangup()
