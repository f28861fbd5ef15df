"""The on-call pages: who is on call now and for two weeks (with the team lead, the director,
the escalation policy and the overrides in force), overrides, and the calendar feeds a phone
subscribes to (`/oncall/<secret>.ics`)."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.clock import local
from app.context import clock, settings
from app.dashboard import overview
from app.db import get_db
from app.models import Role
from app.paging import calendar_feed, oncall
from app.web.auth import current_user, signed_in

from . import bp
from .routes import LEADS


@bp.get("/oncall")
@signed_in()
def on_call() -> str:
    db = get_db().session
    now = clock().now()
    schedule = [
        (rotation, oncall.upcoming(rotation, now, now + dt.timedelta(days=14)))
        for rotation in oncall.rotations(db)
    ]
    in_force = [o for rotation, _ in schedule for o in rotation.overrides if o.ends_at > now]
    return render_template(
        "dashboard/oncall.html",
        schedule=schedule,
        responders=overview.responders(db),
        leads=oncall.with_role(db, Role.TEAM_LEAD),
        directors=oncall.with_role(db, Role.DIRECTOR),
        policies=overview.policies(db),
        in_force=sorted(in_force, key=lambda o: o.starts_at),
    )


@bp.post("/oncall/overrides")
@signed_in(*LEADS)
def add_override() -> ResponseReturnValue:
    db = get_db().session
    zone = settings().zone
    form = request.form
    try:
        starts = dt.datetime.fromisoformat(form.get("start", "")).replace(tzinfo=zone)
        ends = dt.datetime.fromisoformat(form.get("end", "")).replace(tzinfo=zone)
    except ValueError:
        flash("Give the start and end as date and time.", "error")
        return redirect(url_for("dashboard.on_call"))
    try:
        override = oncall.add_override(
            db,
            form.get("rotation_id", type=int),
            form.get("responder_id", type=int),
            starts,
            ends,
            form.get("note", ""),
        )
    except oncall.OverrideError as refused:
        flash(str(refused), "error")
        return redirect(url_for("dashboard.on_call"))
    db.commit()
    flash(
        f"{override.responder.name} covers {override.rotation.name} from "
        f"{local(starts, zone, '%a %d %b %H:%M')}.",
        "ok",
    )
    return redirect(url_for("dashboard.on_call"))


@bp.post("/oncall/overrides/<int:override_id>/delete")
@signed_in(*LEADS)
def delete_override(override_id: int) -> ResponseReturnValue:
    db = get_db().session
    if oncall.remove_override(db, override_id):
        db.commit()
        flash("Override removed.", "ok")
    return redirect(url_for("dashboard.on_call"))


@bp.post("/oncall/calendar")
@signed_in()
def new_calendar() -> ResponseReturnValue:
    """A new address for the signed-in responder's calendar feeds; the old one stops working."""
    user = current_user()
    if user is None or user.responder is None or not user.responder.active:
        flash("Only admins and team leads on the roster have on-call shifts.", "error")
        return redirect(url_for("dashboard.on_call"))
    db = get_db().session
    secret = calendar_feed.new_key(user.responder)
    db.commit()
    mine = url_for("dashboard.calendar", secret=secret, _external=False)
    team = url_for("dashboard.team_calendar", secret=secret, _external=False)
    base = settings().PUBLIC_BASE_URL
    flash(
        f"Subscribe to {base}{mine} for your shifts, or {base}{team} for every rotation. "
        "Keep them to yourself; any earlier address stopped working.",
        "ok",
    )
    return redirect(url_for("dashboard.on_call"))


@bp.get("/oncall/<secret>.ics")
def calendar(secret: str) -> Response:
    return _feed(secret, team=False)


@bp.get("/oncall/<secret>/team.ics")
def team_calendar(secret: str) -> Response:
    return _feed(secret, team=True)


def _feed(secret: str, team: bool) -> Response:
    db = get_db().session
    person = calendar_feed.owner(db, secret)
    if person is None:
        abort(404)
    name = "On call: every rotation" if team else f"On call: {person.name}"
    body = calendar_feed.feed(
        db, clock().now(), name, None if team else person, settings().PUBLIC_BASE_URL
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="oncall.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
