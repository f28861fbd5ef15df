from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.api.auth import token_required
from app.api.openapi import openapi_document
from app.api.serialize import incident_detail, incident_summary
from app.context import caller_flow, clock, incident_actions, settings
from app.db import get_db
from app.incidents import service as incident_service
from app.incidents.actions import ActionError, NotAllowed
from app.incidents.forms import IncidentFormError, draft_from_form
from app.models import Channel, Incident, IncidentState, Responder

from . import bp

MAX_PAGE = 200


@bp.get("/incidents")
@token_required
def list_incidents() -> Response:
    state = request.args.get("state")
    if state and state not in set(IncidentState):
        return _error(400, f"state must be one of: {', '.join(IncidentState)}")
    limit = request.args.get("limit", default=50, type=int)
    offset = request.args.get("offset", default=0, type=int)
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        return _error(400, f"limit must be 1 to {MAX_PAGE} and offset 0 or more")
    found = incident_service.list_incidents(get_db().session, state, limit, offset)
    return jsonify(incidents=[incident_summary(incident) for incident in found])


@bp.get("/incidents/<reference>")
@token_required
def show_incident(reference: str) -> Response:
    try:
        incident = incident_service.get_by_reference(get_db().session, reference)
    except incident_service.IncidentNotFound:
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
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object with Content-Type: application/json")
    return data


def _responder(data: dict[str, Any]) -> Responder:
    name = data.get("responder")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "responder: the name of the responder acting")
    found = get_db().session.scalar(select(Responder).where(Responder.name == name.strip()))
    if found is None or not found.active:
        raise ApiError(422, f"responder: no active responder named {name!r}")
    return found


def _incident(reference: str) -> Incident:
    try:
        return incident_service.get_by_reference(get_db().session, reference)
    except incident_service.IncidentNotFound:
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
            session, data, settings().DEFAULT_REGION, caller_flow().impact_options(), "api"
        )
    except IncidentFormError as invalid:
        response = jsonify(error="validation failed", fields=invalid.errors)
        response.status_code = 422
        return response
    incident = incident_service.open_incident(
        session, clock(), draft, actor="api", channel=Channel.API
    )
    response = _done(
        incident, f"{incident.reference} opened; the on-call admin is being paged", 201
    )
    response.headers["Location"] = f"/api/incidents/{incident.reference}"
    return response


@bp.post("/incidents/<reference>/<action>")
@token_required
def act(reference: str, action: str) -> Response:
    if action not in {"acknowledge", "resolve", "close", "notes"}:
        raise ApiError(404, f"no action {action!r}: acknowledge, resolve, close or notes")
    incident = _incident(reference)
    data = _body()
    actions = incident_actions(get_db().session)
    try:
        if action == "notes":
            note = data.get("text")
            author = data.get("author") or "api"
            if not isinstance(note, str) or not isinstance(author, str):
                raise ApiError(400, "text (and optionally author) must be strings")
            message = actions.add_note(incident, author[:200], Channel.API, note)
        elif action == "acknowledge":
            message = actions.acknowledge(incident, _responder(data), Channel.API)
        elif action == "resolve":
            message = actions.resolve(incident, _responder(data), Channel.API,
                                      str(data.get("note") or ""))  # fmt: skip
        else:
            message = actions.close(incident, _responder(data), Channel.API,
                                    bool(data.get("confirmed_by_phone")))  # fmt: skip
    except NotAllowed as refused:
        raise ApiError(403, str(refused)) from None
    except ActionError as refused:
        raise ApiError(409, str(refused)) from None
    return _done(incident, message, 201 if action == "notes" else 200)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(settings().PUBLIC_BASE_URL))


class ApiError(HTTPException):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
