"""What outside systems (other than Twilio) tell the line: the ticketing system's news."""

from flask import Blueprint

bp = Blueprint("ticket_events", __name__, url_prefix="/tickets")

from . import routes  # noqa: E402, F401
