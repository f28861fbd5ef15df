from __future__ import annotations

import datetime as dt

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from app import context, users
from app.clock import local
from app.context import clock, settings
from app.dashboard import incident_view, overview
from app.db import get_db
from app.incidents import service as incident_service
from app.incidents import verbs
from app.incidents.commands import Action, ActionError, Actor
from app.incidents.forms import IncidentFormError, draft_from_form
from app.incidents.reference import IncidentNotFound, get_by_reference
from app.incidents.summaries import format_minutes
from app.incidents.verbs import Verb
from app.models import Channel, UserRole
from app.ops import health
from app.outbox import health as outbox_health
from app.outbox.kinds import GATEWAY, TICKETING
from app.phones import display
from app.responders import directory
from app.web.auth import current_user, signed_in
from app.web.security import safe_next

from . import bp, live
from .wording import for_screen

LEADS = (UserRole.TEAM_LEAD,)
# The form field holding each action's words.
TEXT_FIELDS = {Verb.CANCEL: "reason"}
STAFF = (UserRole.HELPDESK, UserRole.ADMIN, UserRole.TEAM_LEAD)


# Roles as people say them, not as they are stored.
ROLE_NAMES = {
    "admin": "Administrator",
    "team_lead": "Team lead",
    "director": "Director",
    "helpdesk": "Help desk",
}


@bp.app_template_filter("role")
def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


@bp.app_template_filter("hours")
def hours(minutes: int | None) -> str:
    """Time worked the one way everywhere: 2h30 (or 45 min)."""
    return format_minutes(minutes) if minutes is not None else "—"


@bp.app_template_filter("minutes")
def minutes(value: float | None) -> str:
    """A wait as people say it: 12 min, 2h05; a dash when there is none."""
    return format_minutes(round(value)) if value is not None else "—"


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """A call's length: 3:05."""
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds is not None else "—"


bp.add_app_template_filter(incident_view.event_name, "event_name")


# Escalation targets as people say them.
TARGET_NAMES = {
    "primary": "the primary on call",
    "secondary": "the secondary on call",
    "team_lead": "the team lead",
    "director": "the director",
    "primary_admin": "the service's administrator",
    "backup_admin": "the service's backup administrator",
}


@bp.app_template_filter("target_name")
def target_name(target: str) -> str:
    return TARGET_NAMES.get(target, target.removeprefix("responder:"))


@bp.app_template_filter("phone")
def phone_link(number: str | None) -> Markup:
    """A tappable number for the admin on a phone: (319) 555-0142."""
    if not number:
        return Markup("—")
    return Markup('<a href="tel:{}">{}</a>').format(number, display(number))


@bp.app_context_processor
def _globals() -> dict[str, object]:
    zone = settings().zone
    user = current_user()
    stale = user is not None and health.worker_stale(
        get_db().session, clock().now(), dt.timedelta(seconds=settings().WORKER_STALE_SECONDS)
    )
    session, now = get_db().session, clock().now()
    gateway = outbox_health.problem(session, now, GATEWAY) if user is not None else None
    tickets = outbox_health.problem(session, now, TICKETING) if user is not None else None
    return {
        "user": user,
        "worker_down": stale,
        "gateway_problem": gateway,
        "tickets_problem": tickets,
        "now": clock().now(),
        "local": lambda moment, fmt="%a %d %b %H:%M": local(moment, zone, fmt) if moment else "—",
        "goal_state": overview.goal_state,
        "timeline": incident_view.timeline,
        "next_step": incident_view.next_step,
    }


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("dashboard/login.html")
    address = request.remote_addr or "unknown"
    try:
        user = users.authenticate(
            get_db().session,
            clock().now(),
            request.form.get("username", ""),
            request.form.get("password", ""),
            address,
        )
    except users.SignInRefused as refused:
        status = 429 if refused.locked else 401
        return Response(
            render_template(
                "dashboard/login.html",
                error=str(refused),
                username=request.form.get("username", ""),
            ),
            status=status,
        )
    session.clear()
    session["user_id"] = user.id
    session["v"] = user.session_version
    session.permanent = True
    # Only ever back into this site.
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    user = current_user()
    if user is not None:
        users.sign_out(get_db().session, user)
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/")
@signed_in()
def home() -> str:
    return render_template("dashboard/incidents.html", **live.list_context())


@bp.route("/incidents/new", methods=["GET", "POST"])
@signed_in(*STAFF)
def new_incident() -> ResponseReturnValue:
    db = get_db().session
    impacts = context.runtime().caller_flow.impact_options()
    page = {"services": overview.services(db), "impacts": impacts}
    if request.method == "GET":
        return render_template("dashboard/new_incident.html", form={}, errors={}, **page)
    user = current_user()
    assert user is not None
    try:
        draft = draft_from_form(
            db,
            request.form,
            settings().callback_policy,
            impacts,
            "dashboard",
        )
    except IncidentFormError as invalid:
        html = render_template(
            "dashboard/new_incident.html", form=request.form, errors=invalid.errors, **page
        )
        return Response(html, status=400)
    incident = incident_service.open_incident(
        db, clock().now(), draft, actor=user.name, channel=Channel.DASHBOARD
    )
    db.commit()
    flash(f"{incident.reference} opened; the on-call admin is being paged.", "ok")
    return redirect(url_for("dashboard.incident", reference=incident.reference))


@bp.get("/incidents/<reference>")
@signed_in()
def incident(reference: str) -> str:
    db = get_db().session
    try:
        found = get_by_reference(db, reference)
    except IncidentNotFound:
        abort(404)
    return render_template(
        "dashboard/incident.html",
        incident=found,
        responders=directory.pageable(db),
        etag=incident_view.version(db, clock().now(), found),
        allowed=verbs.allowed(found.state),
    )


@bp.post("/incidents/<reference>/act")
@signed_in()
def act(reference: str) -> ResponseReturnValue:
    db = get_db().session
    try:
        found = get_by_reference(db, reference)
    except IncidentNotFound:
        abort(404)
    user = current_user()
    assert user is not None
    form = request.form
    try:
        verb = Verb(form.get("action", ""))
    except ValueError:
        flash("Unknown action.", "error")
        return redirect(url_for("dashboard.incident", reference=found.reference))
    if verb == Verb.CANCEL and form.get("confirm") != "1":
        flash(f"Tick “Yes, cancel {found.reference}” to cancel it.", "error")
        return redirect(url_for("dashboard.incident", reference=found.reference))
    # Help-desk staff add notes; everything else needs a responder with a paging number.
    me = None if user.role == UserRole.HELPDESK else user.responder
    action = Action(
        verb,
        text=form.get(TEXT_FIELDS.get(verb, "note"), ""),
        by_phone=form.get("by_phone") == "1",
        no_reply=form.get("no_reply") == "1",
        to=directory.by_id(db, form.get("responder_id", type=int)),
    )
    try:
        message = (
            context.runtime()
            .incident_actions(db)
            .perform(found, Actor(user.name, me), Channel.DASHBOARD, action)
        )
    except ActionError as refused:
        db.rollback()
        flash(for_screen(str(refused)), "error")
    else:
        db.commit()
        flash(for_screen(message), "ok")
    return redirect(url_for("dashboard.incident", reference=found.reference))


@bp.get("/responders")
@signed_in()
def responders() -> str:
    return render_template(
        "dashboard/responders.html", responders=overview.responders(get_db().session)
    )


@bp.get("/services")
@signed_in()
def services() -> str:
    return render_template("dashboard/services.html", services=overview.services(get_db().session))


@bp.get("/calls")
@signed_in()
def calls() -> str:
    return render_template("dashboard/calls.html", calls=overview.calls(get_db().session))


@bp.get("/summaries")
@signed_in(UserRole.ADMIN, UserRole.TEAM_LEAD)
def summaries() -> str:
    return render_template(
        "dashboard/summaries.html", summaries=overview.summaries(get_db().session)
    )


@bp.errorhandler(403)
def forbidden(_error: Exception) -> Response:
    return Response(
        render_template(
            "dashboard/error.html", heading="Not allowed", message="You can't open this page."
        ),
        status=403,
    )


@bp.app_errorhandler(404)
def not_found(_error: Exception) -> Response:
    """A page of the dashboard's own (landmarks, the way back); API clients get JSON."""
    if request.path.startswith("/api/"):
        response = jsonify(error="not found")
        response.status_code = 404
        return response
    message = "There is no such page here. It may have moved, or the address may be mistyped."
    return Response(
        render_template("dashboard/error.html", heading="Page not found", message=message),
        status=404,
    )


@bp.app_errorhandler(CSRFError)
def stale_form(error: CSRFError) -> Response:
    message = "This form has expired or did not come from this site. Go back, reload and retry."
    return Response(
        render_template("dashboard/error.html", heading="Form expired", message=message),
        status=400,
    )
