"""The JSON API for the help desk's ticketing system and the team's tools."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import routes  # noqa: E402, F401
