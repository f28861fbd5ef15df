"""Twilio's voice webhooks: the caller's menu and the call status callback."""

from flask import Blueprint

bp = Blueprint("voice", __name__, url_prefix="/voice")

from . import routes  # noqa: E402, F401
