"""Twilio's messaging webhooks: responders' replies and delivery status callbacks."""

from flask import Blueprint

bp = Blueprint("sms", __name__, url_prefix="/sms")

from . import routes  # noqa: E402, F401
