"""What may be done to an incident in which state: the one table the actions' guards, the SMS
desk's bare commands and the dashboard's buttons all read, built from the groups of states the
rest of the line asks about (models: waiting, unresolved, live, finished); and the letters of the
short replies (`12a`), which the pages print and the grammar reads.

A state list for a verb appears here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from app.models import (
    LIVE_STATES,
    UNRESOLVED_STATES,
    WAITING_STATES,
    IncidentState,
)

RESOLVED, CLOSED = IncidentState.RESOLVED, IncidentState.CLOSED


class Verb(StrEnum):
    """Everything someone may ask of one incident, on any channel."""

    ACK = "ack"
    RESOLVE = "resolve"
    CLOSE = "close"
    ESCALATE = "escalate"
    TAKE = "take"
    CALL = "call"
    CONTACTED = "contacted"
    JOIN = "join"
    SUMMARY = "sum"
    REASSIGN = "reassign"
    CANCEL = "cancel"
    NOTE = "note"
    INFO = "info"


EVERY = frozenset(IncidentState)

ALLOWED: Mapping[Verb, frozenset[IncidentState]] = {
    Verb.ACK: WAITING_STATES,
    # Resolving an open incident acknowledges it on the way.
    Verb.RESOLVE: UNRESOLVED_STATES,
    # Acknowledged: its owner hands it on to the next person in the chain.
    Verb.ESCALATE: UNRESOLVED_STATES,
    Verb.TAKE: UNRESOLVED_STATES,
    Verb.CALL: LIVE_STATES,
    Verb.CONTACTED: LIVE_STATES,
    Verb.JOIN: LIVE_STATES,
    Verb.REASSIGN: LIVE_STATES,
    Verb.CANCEL: LIVE_STATES,
    Verb.CLOSE: frozenset({RESOLVED}),
    # The work summary: due once it is resolved, and often written after it closed.
    Verb.SUMMARY: frozenset({RESOLVED, CLOSED}),
    Verb.NOTE: EVERY,
    Verb.INFO: EVERY,
}


def allows(verb: Verb, state: IncidentState | str) -> bool:
    return IncidentState(state) in ALLOWED[verb]


def allowed(state: IncidentState | str) -> frozenset[Verb]:
    """Every verb that fits an incident in `state` (the dashboard shows these buttons)."""
    return frozenset(verb for verb, states in ALLOWED.items() if IncidentState(state) in states)


# The short replies: `12a` acknowledges the incident this responder knows as 12.
LETTERS: Mapping[str, Verb] = {
    "a": Verb.ACK,
    "r": Verb.RESOLVE,
    "e": Verb.ESCALATE,
    "i": Verb.INFO,
    "t": Verb.TAKE,
    "c": Verb.CLOSE,
}
LETTER: Mapping[Verb, str] = {verb: letter for letter, verb in LETTERS.items()}
