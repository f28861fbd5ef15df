"""The rules every action follows: who may act on an incident, and what the loser of a race
hears (the winner's name and time, never a bare error)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.clock import Clock, local
from app.incidents import transitions, verbs
from app.incidents.commands import ActionError, AlreadyHandled, NotAllowed
from app.incidents.timeline import last_actor
from app.incidents.verbs import Verb
from app.models import (
    UNRESOLVED_STATES,
    EventKind,
    Incident,
    IncidentState,
    Notification,
    NotificationKind,
    Responder,
)


def may_act(session: Session, responder: Responder, incident: Incident) -> bool:
    """Leads and directors may act on anything; an admin on what they own or were paged for;
    nobody taken off the roster."""
    if not responder.active:
        return False
    if responder.is_lead or incident.owner_id == responder.id:
        return True
    paged = exists().where(
        Notification.incident_id == incident.id,
        Notification.responder_id == responder.id,
        Notification.kind == NotificationKind.PAGE,
    )
    return bool(session.scalar(select(paged)))


@dataclass
class ActionRules:
    session: Session
    clock: Clock
    zone: ZoneInfo

    def local_time(self, moment: dt.datetime) -> str:
        return local(moment, self.zone)

    def _require(self, responder: Responder, incident: Incident, verb: Verb) -> None:
        """May act on this incident, and the verb fits its state."""
        if not may_act(self.session, responder, incident):
            raise NotAllowed(
                f"{incident.reference} was not paged to you. Reply TAKE {incident.reference} "
                "to take it over."
            )
        self._require_state(verb, incident, responder)

    def _require_state(self, verb: Verb, incident: Incident, responder: Responder) -> None:
        """The state table (verbs.ALLOWED) decides; the refusal says why in words that fit."""
        if verbs.allows(verb, incident.state):
            return
        if verb in (Verb.CLOSE, Verb.SUMMARY) and incident.state in UNRESOLVED_STATES:
            raise ActionError(
                f"{incident.reference} is {incident.state}: resolve it first "
                f"(RESOLVE {incident.number})."
            )
        raise AlreadyHandled(self._already(incident, responder))

    def _move(
        self,
        incident: Incident,
        responder: Responder,
        expected: list[IncidentState],
        unchanged: Mapping[str, object] | None = None,
        **values: object,
    ) -> None:
        """Compare-and-set; the loser of a race is told what the winner did."""
        try:
            transitions.compare_and_set(self.session, incident, expected, unchanged, **values)
        except transitions.Lost:
            raise AlreadyHandled(self._already(incident, responder)) from None

    def _already(self, incident: Incident, responder: Responder) -> str:
        if incident.state == IncidentState.ACKNOWLEDGED and incident.acknowledged_at:
            who = (
                "you"
                if incident.owner_id == responder.id
                else (incident.owner.name if incident.owner else "someone")
            )
            return (
                f"{incident.reference} was already acknowledged by {who} at "
                f"{self.local_time(incident.acknowledged_at)}."
            )
        if incident.state == IncidentState.OPEN:  # the chain moved under us: an ESC won
            return (
                f"{incident.reference} was escalated at the same moment by "
                f"{last_actor(self.session, incident, EventKind.ESCALATED)}; the next people in "
                "the chain are being paged."
            )
        return f"{incident.reference} is already {incident.state}."
