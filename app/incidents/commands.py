"""What someone asks of an incident, whichever channel it came through, and how a refusal is
told: the words of `IncidentActions.perform`."""

from __future__ import annotations

from dataclasses import dataclass

from app.incidents.verbs import Verb
from app.models import Responder


class ActionError(Exception):
    """Refused, with a message fit to send back to the responder."""


class NotAllowed(ActionError):
    pass


class AlreadyHandled(ActionError):
    pass


@dataclass(frozen=True)
class Action:
    """One thing someone asks of an incident, whichever channel it came through."""

    verb: Verb
    # The resolve note, the summary, the cancel reason or the note's text.
    text: str = ""
    # Close: the caller confirmed on the phone rather than by text; or never answered at all.
    by_phone: bool = False
    no_reply: bool = False
    # Reassign: who takes it.
    to: Responder | None = None


@dataclass(frozen=True)
class Actor:
    """Who is acting: a responder, or (for notes only) any signed-in person or named token."""

    name: str
    responder: Responder | None = None

    @classmethod
    def of(cls, responder: Responder) -> Actor:
        return cls(responder.name, responder)
