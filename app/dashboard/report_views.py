"""The monthly report page and its CSV files, for team leads."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.context import clock, settings
from app.db import get_db
from app.reports import exports as report_exports
from app.reports import monthly as reports
from app.web.auth import signed_in

from . import bp
from .routes import LEADS

# Months a report can be asked for: its links go one month either way, and both stay dates.
FIRST_YEAR, LAST_YEAR = 1970, 9998


def _month(text: str | None) -> dt.date:
    """`2026-11` -> 1 November 2026; the current month (in the team's zone) when not given."""
    if not text:
        today = clock().now().astimezone(settings().zone).date()
        return today.replace(day=1)
    try:
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        month = None
    if month is None or not FIRST_YEAR <= month.year <= LAST_YEAR:
        abort(400, description=f"month: a month like 2026-11, from {FIRST_YEAR} to {LAST_YEAR}")
    return month


@bp.get("/stats")
@signed_in()
def stats() -> ResponseReturnValue:
    return redirect(url_for("dashboard.report"))


@bp.get("/reports")
@signed_in(*LEADS)
def report() -> str:
    month = _month(request.args.get("month"))
    found = reports.monthly(get_db().session, month, settings().zone, clock().now())
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return render_template(
        "dashboard/report.html",
        report=found,
        chart=report_exports.chart(found),
        previous=previous,
        following=following,
        goal_minutes=reports.GOAL_MINUTES,
    )


@bp.get("/reports/<month>/<kind>.csv")
@signed_in(*LEADS)
def report_csv(month: str, kind: str) -> Response:
    writers = {
        "incidents": report_exports.incidents_csv,
        "summaries": report_exports.summaries_csv,
        "customers": report_exports.customers_csv,
    }
    if kind not in writers:
        abort(404)
    found = reports.monthly(get_db().session, _month(month), settings().zone, clock().now())
    body = writers[kind](found, settings().zone)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-{month}.csv"'
    return response
