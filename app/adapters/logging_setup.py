"""Logs never hold full phone numbers or auth tokens: a filter masks them on the way out."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re

# Not inside a word, so the digits of a CallSid or MessageSid are left alone.
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\-\s().]{8,}\d(?!\w)")
_TOKENISH = re.compile(r"\b(AC|SK)[0-9a-fA-F]{32}\b|\b[0-9a-fA-F]{32}\b")


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    # Ten digits or more is a phone number (NANP and longer); shorter runs are codes and counts.
    return f"***{digits[-4:]}" if len(digits) >= 10 else match.group()


def scrub(text: str) -> str:
    return _PHONE.sub(_mask_phone, _TOKENISH.sub("[secret]", text))


# The Twilio call or message a log line is about, set per webhook request.
twilio_id: contextvars.ContextVar[str] = contextvars.ContextVar("twilio_id", default="-")


class ScrubbingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        record.twilio_id = twilio_id.get()
        return True


class ZonedFormatter(logging.Formatter):
    """Times in the team's zone with its abbreviation, like every other time the line shows
    (`2026-12-05 23:41:07 CST`), whatever zone the machine is set to."""

    def __init__(self, fmt: str | None = None, zone: dt.tzinfo = dt.UTC) -> None:
        super().__init__(fmt)
        self.zone = zone

    def moment(self, record: logging.LogRecord) -> dt.datetime:
        return dt.datetime.fromtimestamp(record.created, self.zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self.moment(record).strftime(datefmt or "%Y-%m-%d %H:%M:%S %Z")


class JsonFormatter(ZonedFormatter):
    """One JSON object a line, for log shippers: time, level, logger, Twilio id, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.moment(record).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "twilio_id": getattr(record, "twilio_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry)


def configure_logging(level: str, style: str = "text", zone: dt.tzinfo = dt.UTC) -> None:
    root = logging.getLogger()
    handler = next(
        (h for h in root.handlers if any(isinstance(f, ScrubbingFilter) for f in h.filters)), None
    )
    if handler is None:
        handler = logging.StreamHandler()
        handler.addFilter(ScrubbingFilter())
        root.addHandler(handler)
    handler.setFormatter(
        JsonFormatter(zone=zone)
        if style == "json"
        else ZonedFormatter("%(asctime)s %(levelname)s %(name)s [%(twilio_id)s]: %(message)s", zone)
    )
    root.setLevel(level)
    # Alembic announces every plugin at INFO; only the migrations themselves are news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
