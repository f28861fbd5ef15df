"""Durations as people write them in roster files: `30s`, `15m`, `1h`, `1h30m`, `2.5h`, `7d`."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str | int) -> int:
    """Seconds in `text`; a bare number (or `0`) means minutes only when it is zero."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text == 0:
            return 0
        raise ValueError(f"{text!r} needs a unit: 30s, 15m or 1h")
    cleaned = str(text).strip().lower().replace(" ", "")
    if cleaned in {"0", "now", "immediately"}:
        return 0
    parts = _PART.findall(cleaned)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != cleaned:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 1h or 1h30m")
    return round(sum(float(number) * _UNITS[unit] for number, unit in parts))


def format_duration(seconds: int) -> str:
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
