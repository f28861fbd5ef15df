"""Live views: the incident list and an incident's page, as fragments an open screen fetches
every second (static/live.js). Each carries an ETag, so a poll that finds nothing new is a
304 with no body; the view's state rides along, so a screen whose incident changed state
reloads and shows the actions that state allows."""

from __future__ import annotations

from flask import Response, abort, render_template, request

from app.context import clock
from app.dashboard import incident_view, overview
from app.db import get_db
from app.incidents.reference import IncidentNotFound, get_by_reference
from app.paging import oncall
from app.web.auth import signed_in

from . import bp

PARTS = {"now": "dashboard/_incident_now.html", "record": "dashboard/_incident_record.html"}


def _fragment(version: str, template: str, **context: object) -> Response:
    if request.if_none_match.contains(version.strip('"')):
        response = Response(status=304)
    else:
        response = Response(render_template(template, **context))
    response.set_etag(version.strip('"'))
    # live.js sends the ETag it holds itself: nothing needs keeping by the browser.
    response.headers["Cache-Control"] = "no-store"
    return response


def list_context() -> dict[str, object]:
    db = get_db().session
    now = clock().now()
    return {
        "active": overview.open_incidents(db),
        "closed": overview.recent_closed(db),
        "on_call": {p: oncall.on_call_for(db, p, now) for p in ("primary", "secondary")},
        "etag": incident_view.version(db, now),
    }


@bp.get("/live/incidents")
@signed_in()
def live_incidents() -> Response:
    context = list_context()
    return _fragment(str(context["etag"]), "dashboard/_incident_list.html", **context)


@bp.get("/live/incidents/<reference>/<part>")
@signed_in()
def live_incident(reference: str, part: str) -> Response:
    if part not in PARTS:
        abort(404)
    db = get_db().session
    try:
        found = get_by_reference(db, reference)
    except IncidentNotFound:
        abort(404)
    etag = incident_view.version(db, clock().now(), found)
    response = _fragment(etag, PARTS[part], incident=found)
    response.headers["X-Incident-State"] = found.state.value
    return response
