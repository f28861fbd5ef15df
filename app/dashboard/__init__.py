"""The team's web dashboard: server-rendered pages for help desk, admins and team leads."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from . import live, oncall_views, report_views, routes  # noqa: E402, F401
