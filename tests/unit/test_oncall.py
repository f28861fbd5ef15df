"""Who is on call: hand-offs at a local wall-clock time, across DST changes, with overrides."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.models import Override, Responder, Rotation, RotationMember
from app.paging.oncall import handoff_at, on_call, shift_start, upcoming

CHICAGO = ZoneInfo("America/Chicago")
PAT, SAM, ALEX = (
    Responder(id=i, name=n, phone=f"+1319555010{i}")
    for i, n in enumerate(["Pat", "Sam", "Alex"], 1)
)


def rotation(*overrides: Override) -> Rotation:
    return Rotation(
        name="primary",
        time_zone="America/Chicago",
        handoff_weekday=0,
        handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 2, 2),  # a Monday
        members=[RotationMember(position=i, responder=r) for i, r in enumerate([PAT, SAM, ALEX])],
        overrides=list(overrides),
    )


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("moment", "who"),
    [
        (local(2026, 2, 2, 9, 0), PAT),  # the first shift begins
        (local(2026, 2, 9, 8, 59), PAT),  # one minute before the hand-off
        (local(2026, 2, 9, 9, 0), SAM),  # the hand-off minute
        (local(2026, 2, 16, 9, 0), ALEX),
        (local(2026, 2, 23, 9, 0), PAT),  # round again
        # DST starts Sunday 8 March 2026 (02:00 -> 03:00): the hand-off stays at 09:00 local.
        (local(2026, 3, 9, 8, 59), SAM),
        (local(2026, 3, 9, 9, 0), ALEX),
        # DST ends Sunday 1 November 2026 (02:00 -> 01:00); 39 weeks in, Pat's turn again.
        (local(2026, 11, 2, 8, 59), ALEX),
        (local(2026, 11, 2, 9, 0), PAT),
    ],
)
def test_weekly_handoffs(moment: dt.datetime, who: Responder):
    assert on_call(rotation(), moment) is who


def test_handoff_instant_in_utc_moves_with_dst():
    winter = shift_start(rotation(), local(2026, 3, 3, 12, 0))
    summer = shift_start(rotation(), local(2026, 3, 10, 12, 0))
    assert winter == dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 09:00 CST
    assert summer == dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)  # 09:00 CDT


def test_the_repeated_hour_when_dst_ends_belongs_to_one_shift():
    # 01:30 happens twice on 1 November; both are in Pat's week (hand-off is Monday).
    first = dt.datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=CHICAGO)
    second = dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=CHICAGO)
    assert on_call(rotation(), first) is on_call(rotation(), second)


def test_an_override_wins_while_it_lasts():
    cover = Override(
        id=1,
        responder=ALEX,
        starts_at=local(2026, 2, 3, 18, 0),
        ends_at=local(2026, 2, 4, 8, 0),
    )
    rota = rotation(cover)
    assert on_call(rota, local(2026, 2, 3, 17, 59)) is PAT
    assert on_call(rota, local(2026, 2, 3, 18, 0)) is ALEX
    assert on_call(rota, local(2026, 2, 4, 7, 59)) is ALEX
    assert on_call(rota, local(2026, 2, 4, 8, 0)) is PAT


def test_the_latest_override_wins_when_two_overlap():
    long = Override(
        id=1, responder=SAM, starts_at=local(2026, 2, 3, 0, 0), ends_at=local(2026, 2, 6, 0, 0)
    )
    short = Override(
        id=2, responder=ALEX, starts_at=local(2026, 2, 4, 0, 0), ends_at=local(2026, 2, 5, 0, 0)
    )
    rota = rotation(long, short)
    assert on_call(rota, local(2026, 2, 4, 12, 0)) is ALEX
    assert on_call(rota, local(2026, 2, 5, 12, 0)) is SAM


def test_upcoming_spans_for_two_weeks():
    cover = Override(
        id=1, responder=ALEX, starts_at=local(2026, 2, 4, 18, 0), ends_at=local(2026, 2, 5, 8, 0)
    )
    spans = upcoming(rotation(cover), local(2026, 2, 3, 12, 0), local(2026, 2, 17, 12, 0))
    assert [(a.astimezone(CHICAGO).strftime("%a %d %H:%M"), who.name) for a, _, who in spans] == [
        ("Tue 03 12:00", "Pat"),
        ("Wed 04 18:00", "Alex"),
        ("Thu 05 08:00", "Pat"),
        ("Mon 09 09:00", "Sam"),
        ("Mon 16 09:00", "Alex"),
    ]


def test_an_empty_rotation_has_nobody():
    empty = rotation()
    empty.members = []
    assert on_call(empty, local(2026, 2, 3, 12, 0)) is None


def test_a_handoff_the_clocks_skip_moves_to_the_first_instant_that_exists():
    sunday = Rotation(
        name="nights",
        time_zone="America/Chicago",
        handoff_weekday=6,
        handoff_time=dt.time(2, 30),
        start_date=dt.date(2027, 3, 7),
        members=[RotationMember(position=i, responder=r) for i, r in enumerate([PAT, SAM])],
        overrides=[],
    )
    change = dt.datetime(2027, 3, 14, 8, 0, tzinfo=dt.UTC)  # 02:00 CST becomes 03:00 CDT
    assert handoff_at(sunday, dt.date(2027, 3, 14)) == change
    assert on_call(sunday, change - dt.timedelta(seconds=1)) is PAT
    assert on_call(sunday, change) is SAM
    assert shift_start(sunday, change + dt.timedelta(minutes=10)) == change
    [(_, end, first), (begin, _, second)] = upcoming(
        sunday, change - dt.timedelta(hours=1), change + dt.timedelta(hours=1)
    )
    assert (end, begin, first, second) == (change, change, PAT, SAM)
