import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.calls.hours import BusinessHours

CHICAGO = ZoneInfo("America/Chicago")
HOURS = BusinessHours.from_settings(
    "America/Chicago", "mon-fri 08:00-17:00; sat 09:00-12:00", ["2026-12-25"]
)


@pytest.mark.parametrize(
    ("local", "open_"),
    [
        (dt.datetime(2026, 12, 1, 8, 0), True),  # Tuesday, opening minute
        (dt.datetime(2026, 12, 1, 16, 59), True),
        (dt.datetime(2026, 12, 1, 17, 0), False),  # closing minute is closed
        (dt.datetime(2026, 12, 1, 7, 59), False),
        (dt.datetime(2026, 12, 5, 10, 0), True),  # Saturday morning hours
        (dt.datetime(2026, 12, 5, 13, 0), False),
        (dt.datetime(2026, 12, 6, 10, 0), False),  # Sunday
        (dt.datetime(2026, 12, 25, 10, 0), False),  # a holiday on a Friday
        (dt.datetime(2026, 3, 9, 8, 30), True),  # the Monday after DST starts
        (dt.datetime(2026, 11, 2, 16, 30), True),  # the Monday after DST ends
    ],
)
def test_open_in_local_time(local: dt.datetime, open_: bool):
    assert HOURS.is_open(local.replace(tzinfo=CHICAGO)) is open_


def test_utc_instants_are_judged_in_the_local_zone():
    # 14:30 UTC on a Tuesday in December is 08:30 in Chicago; 23:30 UTC is 17:30.
    assert HOURS.is_open(dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC))
    assert not HOURS.is_open(dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC))
