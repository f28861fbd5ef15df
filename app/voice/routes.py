from __future__ import annotations

import logging

from flask import Response, abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ..db import get_db
from ..flows import Flow
from ..twilio_web import render_reply, settings, twilio_only, twiml
from ..voice_menu import Heard, VoiceMenu
from . import bp

log = logging.getLogger(__name__)


def _flow() -> Flow:
    return current_app.extensions["flows"][settings().VOICE_FLOW]


def _menu() -> VoiceMenu:
    return VoiceMenu(
        get_db().session, current_app.extensions["clock"], _flow(), current_app.extensions["line"]
    )


def _call_sid() -> str:
    call_sid = request.form.get("CallSid", "").strip()
    if not call_sid:
        abort(400, "CallSid is required")
    return call_sid[:64]


@bp.post("/incoming")
@twilio_only
def incoming() -> Response:
    reply = _menu().incoming(_call_sid(), request.form.get("From", ""), request.form.get("To", ""))
    return twiml(render_reply(reply, "voice.answer"))


@bp.post("/answer/<step>")
@twilio_only
def answer(step: str) -> Response:
    # The step in the URL is for people reading logs; the call's row says where it really is.
    turn = request.args.get("turn", type=int)
    if turn is None or turn < 1:
        abort(400, "turn must be a positive number")
    form = request.form
    heard = Heard(
        digits=form.get("Digits", "").strip()[:32],
        speech=form.get("SpeechResult", "").strip()[:1000],
        recording_url=form.get("RecordingUrl") or None,
        dial_status=form.get("DialCallStatus") or None,
        nothing_recorded=request.args.get("nothing_recorded") == "1",
    )
    reply = _menu().answer(_call_sid(), turn, heard, from_number=form.get("From", ""))
    return twiml(render_reply(reply, "voice.answer"))


@bp.post("/status")
@twilio_only
def status() -> Response:
    duration = request.form.get("CallDuration", type=int)
    _menu().call_ended(_call_sid(), request.form.get("CallStatus", ""), duration)
    return Response(status=204)


@bp.errorhandler(Exception)
def technical_difficulty(error: Exception) -> Response:
    """A caller never hears an application error: a calm message, and the help desk's number."""
    if isinstance(error, HTTPException):
        return Response(error.description, status=error.code, mimetype="text/plain")
    log.exception("voice webhook failed on %s", request.path)
    get_db().session.rollback()
    response = VoiceResponse()
    flow = _flow()
    response.say(flow.messages.technical_difficulty, voice=flow.voice, language=flow.language)
    response.hangup()
    return twiml(response)
