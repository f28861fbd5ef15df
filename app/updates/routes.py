from __future__ import annotations

import hmac

from flask import Response, render_template, request

from app.context import clock, runtime, settings
from app.db import get_db
from app.incidents import addresses
from app.models import Report

from . import bp


def _form_key(token: str) -> str:
    """Ties the form to its link, so a form posted from elsewhere is refused."""
    digest = hmac.new(settings().SECRET_KEY.encode(), f"address:{token}".encode(), "sha256")
    return digest.hexdigest()


def _page(template: str, status: int = 200, /, **values: object) -> Response:
    return Response(render_template(template, **values), status=status, mimetype="text/html")


@bp.route("/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Response:
    """Opening the link shows a button; only pressing it confirms, so a mail scanner that
    follows every link confirms nothing."""
    session = get_db().session
    now = clock().now()
    try:
        report_id, address = runtime().followup_policy.address_links.read(token, now)
    except addresses.LinkError as exc:
        return _page("updates/error.html", 410 if "expired" in str(exc) else 403, message=exc)
    report = session.get(Report, report_id)
    if report is None or report.email != address:
        return _page(
            "updates/error.html",
            410,
            message="This address is no longer the one given for the report; nothing changed.",
        )
    values = {"report": report, "address": address, "form_key": _form_key(token)}
    if request.method == "GET":
        return _page("updates/confirm.html", **values)
    if not hmac.compare_digest(request.form.get("form_key", ""), _form_key(token)):
        return _page(
            "updates/error.html", 403, message="This form has expired; open the link again."
        )
    addresses.confirm(session, now, report, address)
    session.commit()
    return _page("updates/done.html", **values)
