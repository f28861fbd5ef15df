from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.api import tokens
from app.api.auth import token_required
from app.api.openapi import openapi_document
from app.api.serialize import incident_detail, incident_summary
from app.context import clock, runtime, settings
from app.db import get_db
from app.incidents import service as incident_service
from app.incidents.commands import Action, ActionError, Actor, NotAllowed
from app.incidents.forms import IncidentFormError, draft_from_form
from app.incidents.reference import IncidentNotFound, get_by_reference
from app.incidents.verbs import Verb
from app.models import Channel, Incident, IncidentState, Responder

from . import bp

MAX_PAGE = 200
MAX_OFFSET = 1_000_000


@bp.get("/incidents")
@token_required
def list_incidents() -> Response:
    state = request.args.get("state")
    if state and state not in set(IncidentState):
        return _error(400, f"state must be one of: {', '.join(IncidentState)}")
    limit = request.args.get("limit", default=50, type=int)
    offset = request.args.get("offset", default=0, type=int)
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        return _error(400, f"limit must be 1 to {MAX_PAGE} and offset 0 to {MAX_OFFSET}")
    found = incident_service.list_incidents(get_db().session, state, limit, offset)
    return jsonify(incidents=[incident_summary(incident) for incident in found])


@bp.get("/incidents/<reference>")
@token_required
def show_incident(reference: str) -> Response:
    try:
        incident = get_by_reference(get_db().session, reference)
    except IncidentNotFound:
        return _error(404, f"no incident {reference}")
    return jsonify(incident_detail(incident))


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    get_db().session.rollback()
    return _error(error.code or 500, error.description or error.name)


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


# --- writes -------------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None  # nested deeper than any real request
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object with Content-Type: application/json")
    return data


def _identity() -> tokens.Identity:
    identity: tokens.Identity = g.api_identity
    return identity


def _acting_responder(data: dict[str, Any]) -> Responder:
    """The token's own responder: a client cannot act as anyone by typing a name."""
    me = _identity().responder
    if me is None or not me.active:
        raise ApiError(
            403, "this token does not act for a responder: use one made with --responder"
        )
    named = data.get("responder")
    if named is not None and named != me.name:
        raise ApiError(403, f"this token acts for {me.name}, not {named!r}")
    return me


def _incident(reference: str) -> Incident:
    try:
        return get_by_reference(get_db().session, reference)
    except IncidentNotFound:
        raise ApiError(404, f"no incident {reference}") from None


def _done(incident: Incident, message: str, status: int = 200) -> Response:
    get_db().session.commit()
    response = jsonify({"message": message, "incident": incident_detail(incident)})
    response.status_code = status
    return response


@bp.post("/incidents")
@token_required
def create_incident() -> Response:
    session = get_db().session
    data = _body()
    try:
        draft = draft_from_form(
            session,
            data,
            settings().callback_policy,
            runtime().caller_flow.impact_options(),
            "api",
        )
    except IncidentFormError as invalid:
        response = jsonify(error="validation failed", fields=invalid.errors)
        response.status_code = 422
        return response
    incident = incident_service.open_incident(
        session, clock().now(), draft, actor=_identity().name, channel=Channel.API
    )
    response = _done(
        incident, f"{incident.reference} opened; the on-call admin is being paged", 201
    )
    response.headers["Location"] = f"/api/incidents/{incident.reference}"
    return response


# A note, a resolution or a cancel reason: what a person would type, with room to spare.
MAX_TEXT = 2000
# The API's action names, and the field holding each one's words.
API_ACTIONS = {
    "acknowledge": (Verb.ACK, ""),
    "resolve": (Verb.RESOLVE, "note"),
    "close": (Verb.CLOSE, ""),
    "notes": (Verb.NOTE, "text"),
}


@bp.post("/incidents/<reference>/<action>")
@token_required
def act(reference: str, action: str) -> Response:
    if action not in API_ACTIONS:
        raise ApiError(404, f"no action {action!r}: acknowledge, resolve, close or notes")
    verb, text_field = API_ACTIONS[action]
    incident = _incident(reference)
    data = _body()
    text = (data.get(text_field) or "") if text_field else ""
    if not isinstance(text, str):
        raise ApiError(400, f"{text_field} must be a string")
    if len(text) > MAX_TEXT:
        raise ApiError(422, f"{text_field}: at most {MAX_TEXT} characters")
    by_phone = data.get("confirmed_by_phone", False)
    no_reply = data.get("caller_never_replied", False)
    for name, value in (("confirmed_by_phone", by_phone), ("caller_never_replied", no_reply)):
        if not isinstance(value, bool):
            raise ApiError(400, f"{name} must be true or false (a JSON boolean)")
    identity = _identity()
    actor = (
        Actor(identity.name, identity.responder)
        if verb == Verb.NOTE
        else Actor.of(_acting_responder(data))
    )
    request_ = Action(verb, text=text, by_phone=by_phone, no_reply=no_reply)
    actions = runtime().incident_actions(get_db().session)
    try:
        message = actions.perform(incident, actor, Channel.API, request_)
    except NotAllowed as refused:
        raise ApiError(403, str(refused)) from None
    except ActionError as refused:
        raise ApiError(409, str(refused)) from None
    return _done(incident, message, 201 if verb == Verb.NOTE else 200)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(settings().PUBLIC_BASE_URL))


class ApiError(HTTPException):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
