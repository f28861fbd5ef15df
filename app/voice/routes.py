from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Response, abort, request, url_for
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from app.adapters.twilio_web import SID, form_text, loggable, render_reply, twilio_only, twiml
from app.calls import spool
from app.calls.confirm_call import ConfirmCall
from app.calls.menu import VoiceMenu
from app.calls.reply import Reply, is_twilio_recording
from app.calls.turn import Heard
from app.context import clock, runtime, settings
from app.db import get_db
from app.incidents import joint_call
from app.incidents.reference import spoken_reference
from app.models import Callback, Incident, Notification, NotificationKind
from app.paging import caller_reach, outcomes
from app.phones import try_e164
from app.responders import bridge
from app.responders.page_call import VoicePage
from app.voice.receipts import once

from . import bp

log = logging.getLogger(__name__)


def _menu() -> VoiceMenu:
    return VoiceMenu(get_db().session, clock(), runtime().caller_flows, runtime().line)


def _call_sid() -> str:
    call_sid = form_text("CallSid", 64)
    if not call_sid:
        abort(400, "CallSid is required")
    if not SID.fullmatch(call_sid):
        abort(400, "CallSid is malformed")
    return call_sid


@bp.post("/incoming")
@twilio_only
def incoming() -> Response:
    reply = _menu().incoming(_call_sid(), request.form.get("From", ""), request.form.get("To", ""))
    return twiml(render_reply(reply))


@bp.post("/staff")
@twilio_only
def staff() -> Response:
    """The help-desk staff entry: point a second number's voice URL here."""
    form = request.form
    reply = _menu().incoming(_call_sid(), form.get("From", ""), form.get("To", ""), staff=True)
    return twiml(render_reply(reply))


@bp.post("/answer/<step>")
@twilio_only
def answer(step: str) -> Response:
    # The step in the URL is for people reading logs; `state` says where the call stands, a
    # claim the turn's write checks against the call's row (app/calls/turn_state.py).
    turn = request.args.get("turn", type=int)
    if turn is None or turn < 1:
        abort(400, "turn must be a positive number")
    form = request.form
    heard = Heard(
        digits=form_text("Digits", 32),
        speech=form_text("SpeechResult", 1000),
        recording_url=form.get("RecordingUrl") or None,
        dial_status=form.get("DialCallStatus") or None,
        nothing_recorded=request.args.get("nothing_recorded") == "1",
    )
    reply = _menu().answer(
        _call_sid(),
        turn,
        heard,
        from_number=form.get("From", ""),
        state=request.args.get("state"),
    )
    return twiml(render_reply(reply))


@bp.post("/whisper/<call_sid>")
@twilio_only
def whisper(call_sid: str) -> Response:
    """The `<Number url>` of a business-hours put-through, played to the person answering."""
    attempt = request.args.get("attempt", default=0, type=int)
    reply = _menu().whisper(call_sid, attempt)
    accept = url_for("voice.whisper_answered", call_sid=call_sid, attempt=attempt)
    return twiml(render_reply(reply, lambda _spec, **_flags: accept))


@bp.post("/whisper/<call_sid>/answered")
@twilio_only
def whisper_answered(call_sid: str) -> Response:
    attempt = request.args.get("attempt", default=0, type=int)
    reply = _menu().whisper_answered(call_sid, attempt, form_text("Digits", 8))
    return twiml(render_reply(reply))


@bp.post("/status")
@twilio_only
def status() -> Response:
    duration = request.form.get("CallDuration", type=int)
    _menu().call_ended(_call_sid(), request.form.get("CallStatus", ""), duration)
    return Response(status=204)


@bp.errorhandler(Exception)
def technical_difficulty(error: Exception) -> Response:
    """A caller never hears an application error: if the menu fails (the database is down, say),
    the call moves to the fallback voicemail, which needs nothing but local disk."""
    if isinstance(error, HTTPException):
        return Response(error.description, status=error.code, mimetype="text/plain")
    log.exception("voice webhook failed on %s", loggable(request.path))
    reply = _fallback_reply()
    if request.path.startswith("/voice/fallback"):
        reply.say(runtime().caller_flow.messages.technical_difficulty).hangup()
        return twiml(render_reply(reply))
    with contextlib.suppress(Exception):
        get_db().session.rollback()
    return twiml(render_reply(reply.redirect(FALLBACK, 0), _fallback_action))


# --- the fallback line: no database needed ----------------------------------------------------

FALLBACK = "fallback"
# The fallback's steps, each answered by its own route.
FALLBACK_ROUTES = {
    FALLBACK: "voice.fallback",
    "number": "voice.fallback_number",
    "recorded": "voice.fallback_recorded",
    "helpdesk": "voice.fallback_helpdesk_done",
}


def _fallback_action(spec: dict[str, Any], **_flags: Any) -> str:
    return url_for(FALLBACK_ROUTES[spec["step"]])


def _fallback_reply() -> Reply:
    flow = runtime().caller_flow
    return Reply(language=flow.language, voice=flow.voice)


def _spool(**fields: str) -> Reply | None:
    """Keep what the caller gave on local disk; if even that fails (a full or unwritable disk),
    the reply that puts them through to the help desk instead of hanging up on them."""
    try:
        spool.record(Path(settings().VOICEMAIL_SPOOL_DIR), _call_sid(), clock().now(), **fields)
        return None
    except OSError as exc:
        log.error("voicemail spool unavailable (%s): the caller goes to the help desk", exc)
    messages = runtime().caller_flow.messages
    helpdesk = try_e164(settings().HELPDESK_PHONE, settings().DEFAULT_REGION)
    if helpdesk is None:
        return _fallback_reply().say(messages.technical_difficulty).hangup()
    return _fallback_reply().say(messages.fallback_to_helpdesk).dial("helpdesk", 0, helpdesk)


@bp.post("/fallback/helpdesk")
@twilio_only
def fallback_helpdesk_done() -> Response:
    return twiml(render_reply(_fallback_reply().hangup()))


@bp.post("/fallback")
@twilio_only
def fallback() -> Response:
    """Usable as the number's Fallback URL: a calm message, a callback number, a voicemail."""
    messages = runtime().caller_flow.messages
    unavailable = _spool(**{"from": request.form.get("From", "")})
    if unavailable is not None:
        return twiml(render_reply(unavailable, _fallback_action))
    reply = _fallback_reply().say(messages.fallback_intro)
    reply.gather(
        "number", 0, [messages.fallback_number], num_digits=None, finish_on_key="#", timeout=10
    )
    return twiml(render_reply(reply, _fallback_action))


@bp.post("/fallback/number")
@twilio_only
def fallback_number() -> Response:
    messages = runtime().caller_flow.messages
    digits = "".join(ch for ch in request.form.get("Digits", "") if ch.isdigit())[:15]
    unavailable = _spool(callback=digits)
    if unavailable is not None:
        return twiml(render_reply(unavailable, _fallback_action))
    reply = _fallback_reply().record("recorded", 0, messages.fallback_record, max_length=180)
    return twiml(render_reply(reply, _fallback_action))


@bp.post("/fallback/recorded")
@twilio_only
def fallback_recorded() -> Response:
    recording = request.form.get("RecordingUrl", "")
    unavailable = _spool(recording_url=recording if is_twilio_recording(recording) else "")
    if unavailable is not None:
        return twiml(render_reply(unavailable, _fallback_action))
    reply = _fallback_reply().say(runtime().caller_flow.messages.fallback_thanks).hangup()
    return twiml(render_reply(reply))


# --- pages delivered as phone calls -----------------------------------------------------------


def _voice_page() -> VoicePage:
    return VoicePage(runtime().page_script, runtime().incident_actions(get_db().session))


def _page(notification_id: int) -> Notification | None:
    page = get_db().session.get(Notification, notification_id)
    ok = page is not None and page.kind == NotificationKind.PAGE and page.channel == "voice"
    return page if ok else None


def _page_action(notification_id: int) -> Callable[..., str]:
    return lambda _spec, **_flags: url_for("voice.page_answer", notification_id=notification_id)


@bp.post("/page/<int:notification_id>")
@twilio_only
def page_call(notification_id: int) -> Response:
    page = _page(notification_id)
    answered_by = request.form.get("AnsweredBy", "")
    reply = _voice_page().answered(page, answered_by)
    if page is not None and _machine(answered_by):
        outcomes.machine_answered(get_db().session, clock().now(), page)
        get_db().session.commit()
    return twiml(render_reply(reply, _page_action(notification_id)))


def _machine(answered_by: str) -> bool:
    # Twilio's answering machine detection: machine_start, machine_end_beep, ..., fax.
    return answered_by.startswith("machine") or answered_by == "fax"


@bp.post("/page/<int:notification_id>/answer")
@twilio_only
def page_answer(notification_id: int) -> Response:
    digits = request.form.get("Digits", "").strip()[:8]
    key = f"page:{_call_sid()}:{notification_id}:{digits}"

    def respond() -> str:
        reply = _voice_page().pressed(_page(notification_id), digits)
        return str(render_reply(reply, _page_action(notification_id)))

    return twiml(once(get_db().session, clock().now(), key, respond))


@bp.post("/page/<int:notification_id>/status")
@twilio_only
def page_status(notification_id: int) -> Response:
    session = get_db().session
    page = session.get(Notification, notification_id)
    call_sid = _call_sid()
    if page is not None and page.provider_sid in (None, call_sid):
        if _machine(request.form.get("AnsweredBy", "")):
            outcomes.machine_answered(session, clock().now(), page)
        outcomes.record_provider_status(
            session,
            clock().now(),
            call_sid,
            request.form.get("CallStatus", ""),
            request.form.get("ErrorCode"),
            notification_id=page.id,
        )
        session.commit()
    return Response(status=204)


# --- asking a caller who cannot get texts whether it works -----------------------------------


def _confirm_call(notification_id: int) -> Notification | None:
    call = get_db().session.get(Notification, notification_id)
    return call if call is not None and caller_reach.is_confirmation_call(call) else None


def _confirm(session: Session, call: Notification | None) -> ConfirmCall:
    """The confirmation call in the language of the caller it calls."""
    incident = call.incident if call is not None else None
    language = incident.language_of(call.to_number) if incident and call else None
    flow = runtime().caller_flow_in(language)
    return ConfirmCall(session, clock().now(), flow, runtime().followup_policy)


def _confirm_action(notification_id: int) -> Callable[..., str]:
    return lambda spec, **_flags: url_for(
        "voice.confirm_answer", notification_id=notification_id, turn=spec["turn"]
    )


@bp.post("/confirm/<int:notification_id>")
@twilio_only
def confirm_call(notification_id: int) -> Response:
    session = get_db().session
    call = _confirm_call(notification_id)
    machine = _machine(request.form.get("AnsweredBy", ""))
    reply = _confirm(session, call).answered(call, machine)
    if call is not None and machine:
        # A voicemail heard the message, but nobody said whether it works: one more try later.
        outcomes.machine_answered(session, clock().now(), call)
    session.commit()
    return twiml(render_reply(reply, _confirm_action(notification_id)))


@bp.post("/confirm/<int:notification_id>/answer")
@twilio_only
def confirm_answer(notification_id: int) -> Response:
    digits = request.form.get("Digits", "").strip()[:8]
    turn = request.args.get("turn", default=1, type=int)
    session = get_db().session
    key = f"confirm:{_call_sid()}:{notification_id}:{turn}:{digits}"

    def respond() -> str:
        call = _confirm_call(notification_id)
        reply = _confirm(session, call).pressed(call, digits, turn)
        return str(render_reply(reply, _confirm_action(notification_id)))

    return twiml(once(session, clock().now(), key, respond))


# --- an incident's joint call -----------------------------------------------------------------


@bp.post("/joint/<int:notification_id>")
@twilio_only
def joint_answered(notification_id: int) -> Response:
    """The line's call into a joint call was answered: into the incident's room."""
    session = get_db().session
    leg = joint_call.for_notification(session, notification_id)
    # The caller's leg hears its caller's language; responders hear the team's.
    theirs = leg.incident.language_of(leg.number) if leg and leg.responder_id is None else None
    flow = runtime().caller_flow_in(theirs)
    reply = Reply(language=flow.language, voice=flow.voice)
    if (
        leg is None
        or not joint_call.is_open(leg.incident)
        or _machine(request.form.get("AnsweredBy", ""))
    ):
        return twiml(render_reply(reply.say(flow.joint_call.gone).hangup()))
    incident = leg.incident
    text = flow.joint_call.joining.format(
        line=flow.line_name, reference=spoken_reference(incident.reference)
    )
    return twiml(render_reply(reply.say(text).conference(joint_call.room(incident), incident.id)))


@bp.post("/joint/events/<int:incident_id>")
@twilio_only
def joint_events(incident_id: int) -> Response:
    """The conference's status callback: who joined and who left, for the timeline."""
    session = get_db().session
    incident = session.get(Incident, incident_id)
    if incident is not None:
        event = form_text("StatusCallbackEvent", 40)
        joint_call.participant(session, clock().now(), incident, _call_sid(), event)
        session.commit()
    return Response(status=204)


# --- calling the caller back through the line -------------------------------------------------


def _bridge_action(notification_id: int) -> Callable[..., str]:
    return lambda _spec, **_flags: url_for("voice.bridge_done", notification_id=notification_id)


def _callback(notification_id: int) -> Callback | None:
    return bridge.for_notification(get_db().session, notification_id)


@bp.post("/bridge/<int:notification_id>")
@twilio_only
def bridge_answered(notification_id: int) -> Response:
    reply = bridge.answered(
        runtime().page_script,
        _callback(notification_id),
        request.form.get("AnsweredBy", ""),
        settings().TWILIO_FROM_NUMBER,
    )
    return twiml(render_reply(reply, _bridge_action(notification_id)))


@bp.post("/bridge/<int:notification_id>/done")
@twilio_only
def bridge_done(notification_id: int) -> Response:
    session = get_db().session
    status = request.form.get("DialCallStatus", "")
    duration = request.form.get("DialCallDuration", default=0, type=int)
    reply = bridge.ended(
        session, clock().now(), runtime().page_script, _callback(notification_id), status, duration
    )
    session.commit()
    return twiml(render_reply(reply, _bridge_action(notification_id)))
