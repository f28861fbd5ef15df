"""Business hours and holidays in the group's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.config import parse_business_hours


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    weekly: dict[int, list[tuple[dt.time, dt.time]]]
    holidays: frozenset[dt.date]

    @classmethod
    def from_settings(cls, timezone: str, spec: str, holidays: list[str]) -> BusinessHours:
        return cls(
            zone=ZoneInfo(timezone),
            weekly=parse_business_hours(spec),
            holidays=frozenset(dt.date.fromisoformat(day) for day in holidays),
        )

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        clock = local.time().replace(tzinfo=None)
        return any(
            opens <= clock < closes for opens, closes in self.weekly.get(local.weekday(), [])
        )
