"""Time is injected: domain code asks a clock, tests move one."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, drills, simulations)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment.astimezone(dt.UTC)


def local(moment: dt.datetime, zone: ZoneInfo, fmt: str = "%H:%M") -> str:
    """A time as the team reads it: in the line's zone, with the zone's abbreviation, so `01:30`
    on the night the clocks go back says which one (`01:30 CDT`, `01:30 CST`)."""
    return moment.astimezone(zone).strftime(f"{fmt} %Z")
