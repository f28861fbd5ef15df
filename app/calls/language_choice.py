"""Choosing the call's language: the first question also offers the line's other languages,
each in its own voice ("Para español, oprima nueve"); that language's key there starts the call
again in it, and the choice is kept for the number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.calls import callers
from app.calls.entry import Returning, greet
from app.calls.reply import Reply
from app.calls.script import Flow
from app.calls.turn import RETURNING, Heard, Turn
from app.models import Incident, Source

if TYPE_CHECKING:
    from app.calls.menu import VoiceMenu


def offer(menu: VoiceMenu, turn: Turn) -> None:
    """Add the other languages' offers to the turn's question, before anything is answered."""
    others = [flow for code, flow in sorted(menu.flows.items()) if code != menu.flow.code]
    gather = next((verb["gather"] for verb in turn.reply.verbs if "gather" in verb), None)
    if not others or gather is None:
        return
    for other in others:
        said = {"say": other.greeting.this_language, "language": other.language}
        gather["prompts"].append({**said, "voice": other.voice})
    # Only the answer to this question may choose: a joint call's or staff PIN's keys never do.
    turn.set(language_offer=turn.next_turn)


def chosen(menu: VoiceMenu, turn: Turn) -> Flow | None:
    """The script the caller asked for with its key at the question that offered it."""
    if not turn.heard.digits:
        return None
    flow = next(
        (
            flow
            for code, flow in sorted(menu.flows.items())
            if code != menu.flow.code and flow.greeting.language_key == turn.heard.digits
        ),
        None,
    )
    # Only now, for a key that chooses a language, is the call's own offer looked at.
    return flow if flow and turn.answer("language_offer") == turn.next_turn - 1 else None


def switch(menu: VoiceMenu, turn: Turn, flow: Flow, turn_number: int) -> Reply:
    """Start the call again in the language chosen, and remember it for the number."""
    call = turn.call
    menu.flow, call.language = flow, flow.code
    callers.remember_language(menu.session, call.from_number, flow.code, menu.clock.now())
    switched = Turn(call, Heard(), menu.new_reply(), next_turn=turn.next_turn)
    switched.set(language_offer=None)
    returning_to = turn.answer("returning_to") if call.step == RETURNING else None
    known = menu.session.get(Incident, returning_to) if returning_to else None
    if known is not None:
        Returning(menu).start(switched, known)
    else:
        greet(menu, switched, call.source == Source.HELPDESK_TRANSFER)
    offer(menu, switched)
    return menu.save_turn(switched, turn_number, call.step)
