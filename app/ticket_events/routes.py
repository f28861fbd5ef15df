from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Response, jsonify, request

from app.context import clock, runtime, settings
from app.db import get_db
from app.incidents.commands import ActionError
from app.tickets import inbound, signing

from . import bp


@bp.post("/events")
def ticket_event() -> Response:
    """A ticket resolved or closed in the ticketing system (docs/deployment.md shows the RT
    scrip and the ServiceNow outbound REST message that call this)."""
    config = settings()
    if not (config.TICKETS_INBOUND_TOKEN or config.TICKETS_INBOUND_SECRET):
        return _answer(404, error="ticket events are off: set TICKETS_INBOUND_TOKEN or _SECRET")
    if not _authentic():
        return _answer(
            401,
            error="send Authorization: Bearer <TICKETS_INBOUND_TOKEN>, or sign the body "
            f"with TICKETS_INBOUND_SECRET in {signing.HEADER}: sha256=<hex>",
        )
    session = get_db().session
    try:
        news = inbound.TicketNews.parse(_json())
        inbound.first_delivery(session, clock().now(), news)
        result = inbound.apply(session, runtime().incident_actions(session), news)
    except inbound.Refused as refused:
        session.commit()  # a note on the timeline, when there is one
        return _answer(refused.status, error=str(refused))
    except ActionError as refused:
        session.rollback()
        return _answer(409, error=str(refused))
    session.commit()
    return _answer(200, result=result)


def _json() -> Any:
    """The body as JSON, or None when it is not (nested too deep to read counts as not)."""
    try:
        return json.loads(request.get_data())
    except (ValueError, RecursionError):
        return None


def _authentic() -> bool:
    config = settings()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if config.TICKETS_INBOUND_TOKEN and scheme.lower() == "bearer":
        return hmac.compare_digest(token.strip().encode(), config.TICKETS_INBOUND_TOKEN.encode())
    signature = request.headers.get(signing.HEADER, "")
    return bool(signature) and signing.verify(
        config.TICKETS_INBOUND_SECRET, request.get_data(), signature
    )


def _answer(status: int, **body: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
