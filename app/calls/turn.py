"""One turn of a call: what the caller did, what the line answers, and where the call stands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.calls.hours import BusinessHours
from app.calls.reply import Reply
from app.models import Call, CallStage
from app.phones import DEFAULT_CALLBACK_POLICY, CallbackPolicy

if TYPE_CHECKING:
    from app.calls.menu import VoiceMenu
    from app.calls.script import Step

# Pseudo-steps before and after the script's own steps.
GREETING = "greeting"
STAFF = "staff"
PUT_THROUGH = "put_through"
JOIN_CALL = "join_call"
RETURNING = "returning"
FINISHED = "done"


@dataclass(frozen=True)
class LineConfig:
    """The parts of the settings the voice menu needs."""

    region: str
    hours: BusinessHours
    helpdesk_numbers: frozenset[str] = frozenset()
    dial_number: str | None = None
    # Text the caller the reference right after the call.
    caller_sms: bool = True
    # What may be called back, on every path (caller ID, keyed, give-up).
    callback: CallbackPolicy = DEFAULT_CALLBACK_POLICY
    # At most one "N callers now" update to the owner per this window.
    reporter_window: dt.timedelta = dt.timedelta(minutes=15)
    # A caller's word that they are a CAS customer raises the priority (else it is only noted).
    trust_cas_claim: bool = False
    # New incidents from calls a minute before the rest are grouped as a possible flood.
    flood_per_minute: int = 10


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

    @property
    def anything(self) -> bool:
        return bool(self.digits or self.speech)


@dataclass
class Turn:
    call: Call
    heard: Heard
    reply: Reply
    next_turn: int

    def set(self, **values: Any) -> None:
        self.call.remember(values)

    def answer(self, key: str, default: Any = None) -> Any:
        return self.call.answers.get(key, default)

    def move_to(self, stage: CallStage) -> None:
        self.call.stage = stage
        self.call.attempts = 0


class StepHandler:
    """The base: a step that asks nothing and moves on."""

    def __init__(self, menu: VoiceMenu, step: Step | None = None) -> None:
        self.menu = menu
        self.flow = menu.flow

    def ask(self, turn: Turn, retry: bool = False) -> None:
        raise NotImplementedError

    def answer(self, turn: Turn) -> None:
        raise NotImplementedError

    def sorry(self, turn: Turn, spoken: bool = False) -> None:
        """Say why the answer did not count, and ask again. `spoken`: the question wanted words,
        so a key pressed there is answered "please say it"."""
        messages, heard = self.flow.messages, turn.heard
        if spoken and heard.digits and not heard.speech:
            text = messages.say_it
        else:
            text = messages.not_understood if heard.anything else messages.no_input
        turn.reply.say(text)
        self.ask(turn, retry=True)
