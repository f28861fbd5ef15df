from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from app import health, overview, users
from app.context import caller_flow, clock, incident_actions, settings
from app.dashboard.auth import current_user, signed_in
from app.db import get_db
from app.incidents import service as incident_service
from app.incidents.actions import ActionError
from app.incidents.forms import IncidentFormError, draft_from_form
from app.models import Channel, Override, Responder, Rotation, UserRole
from app.paging import oncall
from app.phones import display

from . import bp

LEADS = (UserRole.TEAM_LEAD,)
STAFF = (UserRole.HELPDESK, UserRole.ADMIN, UserRole.TEAM_LEAD)


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
    return {
        "user": user,
        "worker_down": stale,
        "now": clock().now(),
        "local": lambda moment, fmt="%a %d %b %H:%M": (
            moment.astimezone(zone).strftime(fmt) if moment else "—"
        ),
        "goal_state": overview.goal_state,
    }


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "GET":
        return render_template("dashboard/login.html")
    address = request.remote_addr or "unknown"
    try:
        user = users.authenticate(
            get_db().session, clock().now(), request.form.get("username", ""),
            request.form.get("password", ""), address,
        )  # fmt: skip
    except users.SignInRefused as refused:
        status = 429 if refused.locked else 401
        return Response(
            render_template("dashboard/login.html", error=str(refused),
                            username=request.form.get("username", "")),
            status=status,
        )  # fmt: skip
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    target = request.args.get("next", "")
    # Only ever back into this site.
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/")
@signed_in()
def home() -> str:
    db = get_db().session
    return render_template(
        "dashboard/incidents.html",
        active=overview.open_incidents(db),
        closed=overview.recent_closed(db),
        on_call={p: oncall.on_call_for(db, p, clock().now()) for p in ("primary", "secondary")},
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
@signed_in(*STAFF)
def new_incident() -> Response | str:
    db = get_db().session
    services = overview.services(db)
    if request.method == "GET":
        return render_template("dashboard/new_incident.html", services=services, form={},
                               errors={}, impacts=caller_flow().impact_options())  # fmt: skip
    user = current_user()
    assert user is not None
    try:
        draft = draft_from_form(
            db, request.form, settings().DEFAULT_REGION, caller_flow().impact_options(), "dashboard"
        )
    except IncidentFormError as invalid:
        return Response(
            render_template("dashboard/new_incident.html", services=services, form=request.form,
                            errors=invalid.errors, impacts=caller_flow().impact_options()),
            status=400,
        )  # fmt: skip
    incident = incident_service.open_incident(db, clock(), draft, actor=user.name,
                                       channel=Channel.DASHBOARD)  # fmt: skip
    db.commit()
    flash(f"{incident.reference} opened; the on-call admin is being paged.", "ok")
    return redirect(url_for("dashboard.incident", reference=incident.reference))


@bp.get("/incidents/<reference>")
@signed_in()
def incident(reference: str) -> str:
    db = get_db().session
    try:
        found = incident_service.get_by_reference(db, reference)
    except incident_service.IncidentNotFound:
        abort(404)
    people = [r for r in overview.responders(db) if r.verified and r.active]
    return render_template("dashboard/incident.html", incident=found, responders=people)


@bp.post("/incidents/<reference>/act")
@signed_in()
def act(reference: str) -> Response:
    db = get_db().session
    try:
        found = incident_service.get_by_reference(db, reference)
    except incident_service.IncidentNotFound:
        abort(404)
    user = current_user()
    assert user is not None
    action = request.form.get("action", "")
    actions = incident_actions(db)
    channel = Channel.DASHBOARD
    try:
        if action == "note":
            message = actions.add_note(found, user.name, channel, request.form.get("note", ""))
        else:
            me = user.responder
            if me is None or user.role == UserRole.HELPDESK:
                raise ActionError("Only admins and team leads with a paging number can do that.")
            if action == "ack":
                message = actions.acknowledge(found, me, channel)
            elif action == "resolve":
                message = actions.resolve(found, me, channel, request.form.get("note", ""))
            elif action == "close":
                message = actions.close(found, me, channel, request.form.get("by_phone") == "1")
            elif action == "take":
                message = actions.take_over(found, me, channel)
            elif action == "call":
                message = actions.call_back(found, me, channel)
            elif action == "reassign":
                target = db.get(Responder, request.form.get("responder_id", type=int) or 0)
                if target is None:
                    raise ActionError("Choose who takes it over.")
                message = actions.reassign(found, me, target, channel)
            elif action == "cancel":
                message = actions.cancel(found, me, channel, request.form.get("reason", ""))
            else:
                raise ActionError("Unknown action.")
    except ActionError as refused:
        db.rollback()
        flash(str(refused), "error")
    else:
        db.commit()
        flash(message, "ok")
    return redirect(url_for("dashboard.incident", reference=found.reference))


@bp.get("/oncall")
@signed_in()
def on_call() -> str:
    db = get_db().session
    now = clock().now()
    schedule = [
        (rotation, oncall.upcoming(rotation, now, now + dt.timedelta(days=14)))
        for rotation in oncall.rotations(db)
    ]
    return render_template("dashboard/oncall.html", schedule=schedule,
                           responders=overview.responders(db))  # fmt: skip


@bp.post("/oncall/overrides")
@signed_in(*LEADS)
def add_override() -> Response:
    db = get_db().session
    zone = settings().zone
    form = request.form
    rotation = db.get(Rotation, form.get("rotation_id", type=int) or 0)
    responder = db.get(Responder, form.get("responder_id", type=int) or 0)
    try:
        starts = dt.datetime.fromisoformat(form.get("start", "")).replace(tzinfo=zone)
        ends = dt.datetime.fromisoformat(form.get("end", "")).replace(tzinfo=zone)
    except ValueError:
        flash("Give the start and end as date and time.", "error")
        return redirect(url_for("dashboard.on_call"))
    if rotation is None or responder is None or ends <= starts:
        flash("Choose a rotation and a responder, and an end after the start.", "error")
        return redirect(url_for("dashboard.on_call"))
    db.add(Override(rotation=rotation, responder=responder, starts_at=starts, ends_at=ends,
                    note=form.get("note", "")[:500]))  # fmt: skip
    db.commit()
    flash(f"{responder.name} covers {rotation.name} from {starts:%a %d %b %H:%M}.", "ok")
    return redirect(url_for("dashboard.on_call"))


@bp.post("/oncall/overrides/<int:override_id>/delete")
@signed_in(*LEADS)
def delete_override(override_id: int) -> Response:
    db = get_db().session
    override = db.get(Override, override_id)
    if override is not None:
        db.delete(override)
        db.commit()
        flash("Override removed.", "ok")
    return redirect(url_for("dashboard.on_call"))


@bp.get("/responders")
@signed_in()
def responders() -> str:
    return render_template("dashboard/responders.html",
                           responders=overview.responders(get_db().session))  # fmt: skip


@bp.get("/services")
@signed_in()
def services() -> str:
    return render_template("dashboard/services.html",
                           services=overview.services(get_db().session))  # fmt: skip


@bp.get("/calls")
@signed_in()
def calls() -> str:
    return render_template("dashboard/calls.html", calls=overview.calls(get_db().session))


@bp.get("/summaries")
@signed_in(UserRole.ADMIN, UserRole.TEAM_LEAD)
def summaries() -> str:
    return render_template("dashboard/summaries.html",
                           summaries=overview.summaries(get_db().session))  # fmt: skip


@bp.get("/stats")
@signed_in()
def stats() -> str:
    points = overview.ack_times(get_db().session, clock().now())
    return render_template("dashboard/stats.html", points=points,
                           chart=ack_chart(points, clock().now()))  # fmt: skip


def ack_chart(points: list[overview.AckPoint], now: dt.datetime) -> dict[str, object]:
    """Coordinates for the SVG: time to acknowledge per incident against the 60-minute line."""
    width, height, pad = 640, 240, 36
    top = max([60.0, *[p.minutes or 0 for p in points]]) * 1.15
    start = now - dt.timedelta(days=30)

    def x(moment: dt.datetime) -> float:
        return pad + (moment - start).total_seconds() / (30 * 86400) * (width - 2 * pad)

    def y(minutes: float) -> float:
        return height - pad - minutes / top * (height - 2 * pad)

    dots = [
        {"x": round(x(p.opened), 1), "y": round(y(p.minutes if p.minutes is not None else top), 1),
         "ref": p.reference, "minutes": p.minutes,
         "missed": p.minutes is None or p.minutes > 60}
        for p in points
    ]  # fmt: skip
    return {"width": width, "height": height, "pad": pad, "goal_y": round(y(60), 1),
            "dots": dots, "top": round(top)}  # fmt: skip


@bp.errorhandler(403)
def forbidden(_error: Exception) -> Response:
    return Response(render_template("dashboard/error.html", message="You can't open this page."),
                    status=403)  # fmt: skip


@bp.app_errorhandler(CSRFError)
def stale_form(error: CSRFError) -> Response:
    message = "This form has expired or did not come from this site. Go back, reload and retry."
    return Response(render_template("dashboard/error.html", message=message), status=400)
