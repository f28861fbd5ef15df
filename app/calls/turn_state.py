"""Where a call stands, carried in the next turn's URL, so a plain turn need not read its row.

The state (step, stage, tries, language and a few of the answers that are ids or flags, never a
caller's words or numbers) rides in the `<Gather action>` URL as one `state` parameter. It is a
claim, like any part of a request: the turn that uses it writes with one conditional UPDATE that
matches only when the row says the same (`store.save_light_turn`), and anything the URL cannot
answer (a caller's words, their number, the whole report for the review) raises `RowNeeded`, so
the turn is done again the usual way, from the row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.models import Call, CallStage

# Answers that are ids, turn numbers or flags: read by plain turns, and fine in a URL.
CARRIED = ("known_incident", "language_offer", "put_through", "service_candidate", "service_id")
_SCALAR = re.compile(r"-?\d{1,12}|true|false|null")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_STAGES = {stage.value: stage for stage in CallStage}


class RowNeeded(Exception):
    """The turn needs something only the call's row has."""


@dataclass(frozen=True)
class TurnState:
    step: str
    stage: CallStage
    attempts: int
    misses: int
    language: str
    carried: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        parts = [self.step, self.stage.value, str(self.attempts), str(self.misses), self.language]
        parts += [f"{key}-{json.dumps(self.carried[key])}" for key in sorted(self.carried)]
        return ".".join(parts)


def of_call(call: Call | LightCall) -> TurnState | None:
    """The state to carry after this turn; None for a call on the staff line (a staff member's
    call is always read from its row)."""
    if isinstance(call, LightCall):
        carried = call.answers.known()
    elif call.staff_user_id is None:
        carried = {key: call.answers[key] for key in CARRIED if key in call.answers}
    else:
        return None
    carried = {key: value for key, value in carried.items() if _carriable(value)}
    return TurnState(call.step, call.stage, call.attempts, call.misses, call.language, carried)


def _carriable(value: Any) -> bool:
    return (
        value is None or isinstance(value, bool) or (isinstance(value, int) and abs(value) < 10**12)
    )


def decode(text: str | None) -> TurnState | None:
    """The state a URL claims, or None when there is none or it is not well formed."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) < 5:
        return None
    step, stage, attempts, misses, language, *pairs = parts
    if not (_NAME.fullmatch(step) and _NAME.fullmatch(language) and stage in _STAGES):
        return None
    if not (attempts.isdigit() and misses.isdigit() and len(attempts + misses) <= 8):
        return None
    carried: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("-")
        if key not in CARRIED or not _SCALAR.fullmatch(value):
            return None
        carried[key] = json.loads(value)
    return TurnState(step, _STAGES[stage], int(attempts), int(misses), language, carried)


class CarriedAnswers(Mapping[str, Any]):
    """A light call's answers: those the URL carried and those set in this turn. Reading any
    other raises RowNeeded; each carried value read is an assumption the write checks."""

    def __init__(self, carried: Mapping[str, Any]) -> None:
        self._carried = dict(carried)
        self.new: dict[str, Any] = {}
        self.assumed: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self.new:
            return self.new[key]
        if key not in CARRIED:
            raise RowNeeded(key)
        # A carried key missing from the URL claims the row has none.
        value = self._carried.get(key)
        self.assumed.setdefault(key, value)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        raise RowNeeded("every answer")

    def __len__(self) -> int:
        raise RowNeeded("every answer")

    def known(self) -> dict[str, Any]:
        merged = {**self._carried, **self.new}
        return {key: merged[key] for key in CARRIED if key in merged}


class LightCall:
    """A call as its turn's URL describes it, standing in for the row in the step handlers.
    Only what the state carries can be read or changed; anything else raises RowNeeded."""

    _WRITABLE = frozenset({"step", "stage", "attempts", "misses", "turn"})
    call_sid: str
    from_number: str
    source: str
    claimed: TurnState
    step: str
    stage: CallStage
    attempts: int
    misses: int
    language: str
    turn: int
    answers: CarriedAnswers
    staff_user_id: None

    def __init__(
        self, call_sid: str, state: TurnState, turn: int, from_number: str, source: str
    ) -> None:
        set_ = object.__setattr__
        set_(self, "call_sid", call_sid)
        # From the webhook's own `From`, not the URL; the write checks both against the row.
        set_(self, "from_number", from_number)
        set_(self, "source", source)
        set_(self, "claimed", state)
        set_(self, "step", state.step)
        set_(self, "stage", state.stage)
        set_(self, "attempts", state.attempts)
        set_(self, "misses", state.misses)
        set_(self, "language", state.language)
        set_(self, "turn", turn)
        set_(self, "answers", CarriedAnswers(state.carried))
        # The write matches only a row that no staff member is on (see store.save_light_turn).
        set_(self, "staff_user_id", None)

    def remember(self, values: Mapping[str, Any]) -> None:
        self.answers.new.update(values)

    def __getattr__(self, name: str) -> Any:
        # Only called for what is not set above: the call's number, status, source, id ...
        raise RowNeeded(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._WRITABLE:
            raise RowNeeded(name)
        object.__setattr__(self, name, value)
