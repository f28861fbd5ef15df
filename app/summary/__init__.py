"""The work summary form, opened from a signed, expiring link in the owner's text message."""

from flask import Blueprint

bp = Blueprint("summary", __name__, url_prefix="/summary")

from . import routes  # noqa: E402, F401
