from __future__ import annotations

import logging

from flask import Response, abort, request
from twilio.twiml.messaging_response import MessagingResponse

from app.adapters.twilio_web import form_text, twilio_only, twiml
from app.context import clock, runtime, settings
from app.db import get_db
from app.paging import outcomes
from app.responders.desk import SmsDesk

from . import bp

log = logging.getLogger(__name__)


@bp.post("/inbound")
@twilio_only
def inbound() -> Response:
    message_sid = form_text("MessageSid", 64)
    if not message_sid:
        abort(400, "MessageSid is required")
    session = get_db().session
    config = settings()
    desk = SmsDesk(
        session,
        runtime().incident_actions(session),
        config.SECRET_KEY,
        config.DEFAULT_REGION,
        config.SMS_FLOOD_LIMIT,
    )
    reply = desk.handle(message_sid, form_text("From", 32), form_text("Body", 1600))
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return twiml(response)


@bp.post("/status")
@twilio_only
def status() -> Response:
    message_sid = request.form.get("MessageSid", "").strip()
    if not message_sid:
        abort(400, "MessageSid is required")
    session = get_db().session
    outcomes.record_provider_status(
        session,
        clock().now(),
        message_sid,
        request.form.get("MessageStatus", ""),
        request.form.get("ErrorCode"),
        notification_id=request.args.get("n", type=int),
    )
    session.commit()
    return Response(status=204)


@bp.errorhandler(Exception)
def failed(error: Exception) -> Response:
    """Never a stack trace to Twilio; the message is already stored or will be retried."""
    from werkzeug.exceptions import HTTPException

    if isinstance(error, HTTPException):
        return Response(error.description, status=error.code, mimetype="text/plain")
    log.exception("SMS webhook failed on %s", request.path)
    get_db().session.rollback()
    # A 500 makes Twilio retry the callback later; the reply is idempotent by MessageSid.
    return Response("temporary failure", status=500, mimetype="text/plain")
