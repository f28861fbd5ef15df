"""Calling the caller back through the line: the line rings the owner, then connects them to the
caller with the line's own number as caller ID, so the admin's number stays private."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls.reply import Reply
from app.calls.script import PageScript
from app.incidents import contact
from app.incidents.reference import spoken_reference
from app.incidents.timeline import add_event
from app.models import (
    Callback,
    Channel,
    EventKind,
    Incident,
    NotificationChannel,
    NotificationKind,
    Responder,
)
from app.paging import notify
from app.phones import display

STEP = "bridge"
DIAL_OUTCOMES = {
    "completed": "talked",
    "busy": "busy",
    "no-answer": "no answer",
    "failed": "could not be reached",
    "canceled": "cancelled",
}


def start(session: Session, now: dt.datetime, incident: Incident, responder: Responder) -> Callback:
    notification = notify.queue(
        session,
        now,
        kind=NotificationKind.BRIDGE,
        channel=NotificationChannel.VOICE,
        to=responder.phone,
        body=f"call back the caller of {incident.reference}",
        incident=incident,
        responder=responder,
    )
    session.flush()
    callback = Callback(
        incident=incident,
        responder=responder,
        notification=notification,
        caller_number=incident.number_to_call or "",
        created_at=now,
    )
    session.add(callback)
    add_event(
        session,
        incident,
        now,
        EventKind.CALL_BACK,
        responder.name,
        Channel.SMS,
        f"ringing {responder.name}, then {display(incident.number_to_call)}",
    )
    return callback


def for_notification(session: Session, notification_id: int) -> Callback | None:
    return session.scalar(select(Callback).where(Callback.notification_id == notification_id))


def answered(
    script: PageScript, callback: Callback | None, answered_by: str, line_number: str
) -> Reply:
    """The owner picked up: connect them to the caller (unless it was their voicemail)."""
    reply = Reply(language=script.language, voice=script.voice)
    if callback is None:
        return reply.say(script.gone).hangup()
    reference = spoken_reference(callback.incident.reference)
    if answered_by.startswith("machine") or answered_by == "fax":
        return reply.say(script.bridge_machine.format(reference=reference)).hangup()
    reply.say(script.bridge_connecting.format(reference=reference))
    return reply.dial(STEP, 0, callback.caller_number, timeout=30, caller_id=line_number or None)


def ended(
    session: Session,
    now: dt.datetime,
    script: PageScript,
    callback: Callback | None,
    dial_status: str,
    duration: int,
) -> Reply:
    """The bridged call is over: its outcome and length go on the timeline (and into the hours)."""
    reply = Reply(language=script.language, voice=script.voice)
    if callback is None:
        return reply.say(script.gone).hangup()
    outcome = DIAL_OUTCOMES.get(dial_status, dial_status or "unknown")
    if callback.ended_at is None:
        callback.outcome = outcome
        callback.talk_seconds = duration if dial_status == "completed" else 0
        callback.ended_at = now
        detail = f"talked {max(duration // 60, 1)} min" if dial_status == "completed" else outcome
        if dial_status == "completed":
            contact.record(
                session, now, callback.incident, "call", callback.responder.name, Channel.VOICE
            )
        add_event(
            session,
            callback.incident,
            now,
            EventKind.CALL_BACK_ENDED,
            callback.responder.name,
            Channel.VOICE,
            f"call with {display(callback.caller_number)}: {detail}",
        )
    text = script.bridge_done if dial_status == "completed" else script.bridge_no_answer
    return reply.say(text).hangup()
