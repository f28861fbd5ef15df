from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from flask import Response, abort, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from app.adapters.twilio_web import form_text, render_reply, twilio_only, twiml
from app.calls import spool
from app.calls.menu import VoiceMenu
from app.calls.turn import Heard
from app.context import clock, services, settings
from app.db import get_db
from app.models import Callback, Notification, NotificationKind
from app.paging import delivery
from app.receipts import once
from app.responders import bridge
from app.responders.page_call import VoicePage

from . import bp

log = logging.getLogger(__name__)


def _menu() -> VoiceMenu:
    return VoiceMenu(get_db().session, clock(), services().caller_flow, services().line)


def _call_sid() -> str:
    call_sid = form_text("CallSid", 64)
    if not call_sid:
        abort(400, "CallSid is required")
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
    # The step in the URL is for people reading logs; the call's row says where it really is.
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
    reply = _menu().answer(_call_sid(), turn, heard, from_number=form.get("From", ""))
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
    log.exception("voice webhook failed on %s", request.path)
    flow = services().caller_flow
    response = VoiceResponse()
    if request.path.startswith("/voice/fallback"):
        response.say(flow.messages.technical_difficulty, voice=flow.voice, language=flow.language)
        response.hangup()
        return twiml(response)
    with contextlib.suppress(Exception):
        get_db().session.rollback()
    response.redirect(url_for("voice.fallback"), method="POST")
    return twiml(response)


# --- the fallback line: no database needed ----------------------------------------------------


def _spool(**fields: str) -> None:
    spool.record(Path(settings().VOICEMAIL_SPOOL_DIR), _call_sid(), clock().now(), **fields)


@bp.post("/fallback")
@twilio_only
def fallback() -> Response:
    """Usable as the number's Fallback URL: a calm message, a callback number, a voicemail."""
    flow = services().caller_flow
    _spool(**{"from": request.form.get("From", "")})
    say = {"voice": flow.voice, "language": flow.language}
    response = VoiceResponse()
    response.say(flow.messages.fallback_intro, **say)
    action = url_for("voice.fallback_number")
    gather = response.gather(
        input="dtmf",
        finish_on_key="#",
        timeout=10,
        action=action,
        method="POST",
        action_on_empty_result=True,
    )
    gather.say(flow.messages.fallback_number, **say)
    response.redirect(action, method="POST")
    return twiml(response)


@bp.post("/fallback/number")
@twilio_only
def fallback_number() -> Response:
    flow = services().caller_flow
    digits = "".join(ch for ch in request.form.get("Digits", "") if ch.isdigit())[:15]
    _spool(callback=digits)
    say = {"voice": flow.voice, "language": flow.language}
    response = VoiceResponse()
    response.say(flow.messages.fallback_record, **say)
    response.record(
        action=url_for("voice.fallback_recorded"),
        method="POST",
        max_length=180,
        finish_on_key="#",
        play_beep=True,
        timeout=5,
    )
    response.say(flow.messages.fallback_thanks, **say)
    response.hangup()
    return twiml(response)


@bp.post("/fallback/recorded")
@twilio_only
def fallback_recorded() -> Response:
    flow = services().caller_flow
    _spool(recording_url=request.form.get("RecordingUrl", ""))
    response = VoiceResponse()
    response.say(flow.messages.fallback_thanks, voice=flow.voice, language=flow.language)
    response.hangup()
    return twiml(response)


# --- pages delivered as phone calls -----------------------------------------------------------


def _voice_page() -> VoicePage:
    return VoicePage(services().page_script, services().incident_actions(get_db().session))


def _page(notification_id: int) -> Notification | None:
    page = get_db().session.get(Notification, notification_id)
    ok = page is not None and page.kind == NotificationKind.PAGE and page.channel == "voice"
    return page if ok else None


def _page_action(notification_id: int) -> Callable[..., str]:
    return lambda _spec, **_flags: url_for("voice.page_answer", notification_id=notification_id)


@bp.post("/page/<int:notification_id>")
@twilio_only
def page_call(notification_id: int) -> Response:
    reply = _voice_page().answered(_page(notification_id), request.form.get("AnsweredBy", ""))
    return twiml(render_reply(reply, _page_action(notification_id)))


@bp.post("/page/<int:notification_id>/answer")
@twilio_only
def page_answer(notification_id: int) -> Response:
    digits = request.form.get("Digits", "").strip()[:8]
    key = f"page:{_call_sid()}:{notification_id}:{digits}"

    def respond() -> str:
        reply = _voice_page().pressed(_page(notification_id), digits)
        return str(render_reply(reply, _page_action(notification_id)))

    return twiml(once(get_db().session, clock(), key, respond))


@bp.post("/page/<int:notification_id>/status")
@twilio_only
def page_status(notification_id: int) -> Response:
    session = get_db().session
    page = session.get(Notification, notification_id)
    call_sid = _call_sid()
    if page is not None and page.provider_sid in (None, call_sid):
        delivery.record_provider_status(
            session,
            clock(),
            call_sid,
            request.form.get("CallStatus", ""),
            request.form.get("ErrorCode"),
        )
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
        services().page_script,
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
        session, clock().now(), services().page_script, _callback(notification_id), status, duration
    )
    session.commit()
    return twiml(render_reply(reply, _bridge_action(notification_id)))
