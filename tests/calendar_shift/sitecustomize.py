"""Loaded by every Python process the tests start while TEST_CALENDAR_SHIFT_DAYS is set (the
suite puts this folder on PYTHONPATH): each one's wall clock runs that many days ahead, as the
test process's does, so a worker or a web server sees the same week as the test."""

import datetime as dt
import os

_days = os.environ.get("TEST_CALENDAR_SHIFT_DAYS")
if _days:
    import time_machine

    _later = dt.datetime.now(dt.UTC) + dt.timedelta(days=float(_days))
    time_machine.travel(_later, tick=True).start()
