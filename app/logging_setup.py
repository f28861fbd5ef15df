"""Logs never hold full phone numbers or auth tokens: a filter masks them on the way out."""

from __future__ import annotations

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


class ScrubbingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, ScrubbingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(ScrubbingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces every plugin at INFO; only the migrations themselves are news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
