from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import incidents
from ..db import get_db
from ..models import IncidentState
from . import bp
from .auth import token_required
from .serialize import incident_detail, incident_summary

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
    found = incidents.list_incidents(get_db().session, state, limit, offset)
    return jsonify(incidents=[incident_summary(incident) for incident in found])


@bp.get("/incidents/<reference>")
@token_required
def show_incident(reference: str) -> Response:
    try:
        incident = incidents.get_by_reference(get_db().session, reference)
    except incidents.IncidentNotFound:
        return _error(404, f"no incident {reference}")
    return jsonify(incident_detail(incident))


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, error.description or error.name)


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response
