"""A joint call for an incident: one conference room named for it, which the line calls the
caller and any responder into (`JOIN 1042`, or a responder calling the line and keying the
reference: the line calls them back). Who joined and left, and for how long, goes on the
timeline and into the summary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.incidents import contact
from app.incidents.timeline import add_event
from app.models import (
    FINISHED_STATES,
    Channel,
    EventKind,
    Incident,
    JointCallLeg,
    NotificationChannel,
    NotificationKind,
    Responder,
)
from app.paging import notify

CALLER = "the caller"


def room(incident: Incident) -> str:
    """The conference's name: the incident's reference, so every leg meets in one room."""
    return incident.reference


def is_open(incident: Incident) -> bool:
    """Someone is in the room, or on the way to it."""
    return incident.state not in FINISHED_STATES and any(
        leg.left_at is None for leg in incident.joint_call_legs
    )


def invite(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    responder: Responder,
    channel: str,
    caller: bool = True,
) -> str:
    """The line calls whoever asked, on the number the roster holds for them, and (`caller`)
    the caller unless they are already in or on the way."""
    legs = [leg for leg in incident.joint_call_legs if leg.left_at is None]
    calls: list[tuple[str, str, Responder | None]] = []
    if caller and incident.number_to_call and not any(leg.responder_id is None for leg in legs):
        calls.append((CALLER, incident.number_to_call, None))
    if not any(leg.responder_id == responder.id for leg in legs):
        calls.append((responder.name, responder.phone, responder))
    for who, number, person in calls:
        placed = notify.queue(
            session,
            now,
            kind=NotificationKind.JOINT,
            channel=NotificationChannel.VOICE,
            to=number,
            body=f"joint call {incident.reference}",
            incident=incident,
            responder=person,
        )
        session.add(
            JointCallLeg(
                incident=incident,
                responder=person,
                who=who,
                number=number,
                notification=placed,
                created_at=now,
            )
        )
    if calls:
        add_event(
            session,
            incident,
            now,
            EventKind.JOINT_CALL,
            responder.name,
            channel,
            "joint call: the line is calling " + " and ".join(who for who, _, _ in calls),
        )
    calling = " and ".join("you" if who == responder.name else who for who, _, _ in calls)
    return (
        f"Joint call for {incident.reference}: "
        + (f"the line is calling {calling} now." if calls else "you are already in it.")
        + f" Others join with JOIN {incident.number}, or by calling the line and keying "
        f"{incident.number}."
    )


def for_notification(session: Session, notification_id: int) -> JointCallLeg | None:
    return session.scalar(
        select(JointCallLeg).where(JointCallLeg.notification_id == notification_id)
    )


def participant(
    session: Session, now: dt.datetime, incident: Incident, call_sid: str, event: str
) -> JointCallLeg | None:
    """A conference event (`participant-join`, `participant-leave`) for one leg, by its call."""
    leg = next(
        (
            leg
            for leg in incident.joint_call_legs
            if call_sid
            in (leg.call_sid, leg.notification.provider_sid if leg.notification else None)
        ),
        None,
    )
    if leg is None:
        return None
    leg.call_sid = call_sid
    if event == "participant-join" and leg.joined_at is None:
        leg.joined_at = now
        add_event(session, incident, now, EventKind.JOINT_CALL, leg.who, Channel.VOICE, "joined")
        if leg.responder_id is None:
            contact.record(session, now, incident, "joint call", leg.who, Channel.VOICE)
    elif event == "participant-leave" and leg.left_at is None:
        leg.left_at = now
        minutes = max(leg.seconds // 60, 1) if leg.joined_at else 0
        add_event(
            session,
            incident,
            now,
            EventKind.JOINT_CALL,
            leg.who,
            Channel.VOICE,
            f"left after {minutes} min" if leg.joined_at else "never joined",
        )
    return leg
