from __future__ import annotations

import hmac

from flask import Response, render_template, request

from app.clock import local
from app.context import clock, runtime, settings
from app.db import get_db
from app.incidents import summaries
from app.models import Channel, Incident, IncidentState, Responder, Summary
from app.responders import grammar

from . import bp


def _form_key(token: str) -> str:
    """Ties each form to its link, so a form posted from elsewhere is refused."""
    digest = hmac.new(settings().SECRET_KEY.encode(), f"form:{token}".encode(), "sha256")
    return digest.hexdigest()


def _page(template: str, status: int = 200, /, **values: object) -> Response:
    return Response(render_template(template, **values), status=status, mimetype="text/html")


@bp.route("/<token>", methods=["GET", "POST"])
def form(token: str) -> Response:
    session = get_db().session
    now = clock().now()
    try:
        summary_id, responder_id = runtime().followup_policy.links.read(token, now)
    except summaries.SummaryError as exc:
        expired = "expired" in str(exc)
        return _page("summary/error.html", 410 if expired else 403, message=str(exc))
    summary = session.get(Summary, summary_id)
    responder = session.get(Responder, responder_id)
    if summary is None or responder is None:
        return _page("summary/error.html", 404, message="This summary no longer exists.")
    if summary.submitted_at is not None:
        # One link, one summary: a forwarded or replayed link cannot send it again.
        return _page(
            "summary/error.html",
            410,
            message=f"The summary for {summary.incident.reference} was already sent. To change "
            f"it, reply SUM {summary.incident.number} <hours> <work> by SMS.",
        )
    incident: Incident = summary.incident
    hours, work = request.form.get("hours", ""), request.form.get("work", "")
    values: dict[str, object] = {
        "incident": incident,
        "summary": summary,
        "responder": responder,
        "form_key": _form_key(token),
        "error": None,
        "hours": hours,
        "work": work,
        "due": local(summary.due_at, runtime().followup_policy.zone, "%a %d %b %H:%M"),
    }
    if request.method == "GET":
        return _page("summary/form.html", **values)
    if not hmac.compare_digest(request.form.get("form_key", ""), _form_key(token)):
        return _page(
            "summary/error.html", 403, message="This form has expired; open the link again."
        )
    if incident.state not in (IncidentState.RESOLVED, IncidentState.CLOSED):
        values["error"] = f"{incident.reference} is open again; send the summary once it is fixed."
        return _page("summary/form.html", 409, **values)
    try:
        minutes = grammar.parse_minutes(hours)
        zone = runtime().followup_policy.zone
        recipients = summaries.submit(
            session, now, incident, responder, minutes, work, Channel.DASHBOARD, zone
        )
    except (grammar.TimeSpentError, summaries.SummaryError) as exc:
        values["error"] = str(exc)
        return _page("summary/form.html", 400, **values)
    session.commit()
    return _page(
        "summary/done.html",
        incident=incident,
        summary=incident.summary,
        spent=summaries.format_minutes(minutes),
        sent=summaries.sent_to(incident, recipients),
        reached=bool(recipients),
    )
