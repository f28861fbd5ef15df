"""On-call calendars: a responder's shifts and every rotation as iCalendar feeds at a secret
address, read back with a real parser (icalendar), and revoked by a new address."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
from sqlalchemy import select

from app.models import Responder, Rotation
from app.paging import oncall
from tests.accounts import make_accounts, post_form, sign_in

UTC = dt.UTC


def _address(output: str, which: str) -> str:
    match = re.search(rf"{which}:\s+https://line\.example\.org(/oncall/\S+\.ics)", output)
    assert match, output
    return match[1]


def _events(client, path: str) -> list[icalendar.Event]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    return list(calendar.walk("VEVENT"))


def test_a_responders_shifts_in_their_calendar(runner, client):
    made = runner.invoke(args=["responders", "calendar", "Pat Lee"])
    assert made.exit_code == 0, made.output
    mine = _events(client, _address(made.output, "Pat Lee's shifts"))
    assert {str(e["summary"]) for e in mine} == {
        "On call: Pat Lee (primary)",
        "On call: Pat Lee (secondary)",
    }
    # Pat's primary turn began on Monday 23 November at 09:00 in Chicago and hands over a week
    # later; Sam has the next week, then Pat again.
    first, second = [e for e in mine if "(primary)" in str(e["summary"])][:2]
    assert first.decoded("dtstart") == dt.datetime(2026, 11, 23, 15, tzinfo=UTC)
    assert first.decoded("dtend") == dt.datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert second.decoded("dtstart") == dt.datetime(2026, 12, 7, 15, tzinfo=UTC)
    assert "Pages come by SMS to +13195550101" in str(first["description"])
    # The same shift keeps its UID from one fetch to the next: calendars update, not duplicate.
    again = _events(client, _address(made.output, "Pat Lee's shifts"))
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in mine]

    team = _events(client, _address(made.output, "every rotation"))
    people = {str(e["summary"]).split(" (")[0] for e in team}
    assert {"On call: Pat Lee", "On call: Sam Ortiz"} <= people
    assert len(team) > len(mine)
    # The team's feed names colleagues, never their phone numbers.
    assert not any("+1319" in str(e["description"]) for e in team)
    assert all("after-hours line" in str(e["description"]) for e in team)


def test_a_new_address_revokes_the_old_one(runner, client):
    old = _address(
        runner.invoke(args=["responders", "calendar", "Pat Lee"]).output, "Pat Lee's shifts"
    )
    new = _address(
        runner.invoke(args=["responders", "calendar", "Pat Lee"]).output, "Pat Lee's shifts"
    )
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert runner.invoke(args=["responders", "calendar", "Pat Lee", "--revoke"]).exit_code == 0
    assert client.get(new).status_code == 404
    assert client.get("/oncall/guess.ics").status_code == 404
    assert runner.invoke(args=["responders", "calendar", "Nobody"]).exit_code == 1


def test_a_responder_gets_their_address_from_the_on_call_page(app, clock, client):
    make_accounts(app, clock)
    sign_in(client, "pat")
    page = client.get("/oncall").get_data(as_text=True)
    assert "Team lead</dt><dd>Jordan Reyes" in page
    assert "Director</dt><dd>Morgan Chen" in page
    answer = post_form(client, "/oncall", "/oncall/calendar")
    assert answer.status_code == 302
    flashed = client.get("/oncall").get_data(as_text=True)
    path = re.search(r"https://line\.example\.org(/oncall/[\w-]+\.ics)", flashed)
    assert path, flashed
    shifts = _events(client, path[1])
    assert shifts and {str(e["summary"]) for e in shifts} <= {
        "On call: Pat Lee (primary)",
        "On call: Pat Lee (secondary)",
    }


def _shifts(client, path: str) -> dict[str, tuple[dt.datetime, dt.datetime]]:  # type: ignore[no-untyped-def]
    return {
        str(e["uid"]): (e.decoded("dtstart"), e.decoded("dtend")) for e in _events(client, path)
    }


def test_a_calendar_fetched_again_later_keeps_every_shift_as_it_was(runner, client, clock, session):
    """A shift in progress keeps its real start (not the moment of the fetch), and an override
    that began before the feed's window keeps its own start: a calendar app refreshing the feed
    updates nothing and duplicates nothing."""
    pat, alex = (
        session.scalar(select(Responder).where(Responder.name == name))
        for name in ("Pat Lee", "Alex Kim")
    )
    rotation = session.scalar(select(Rotation).where(Rotation.position == "secondary"))
    started = clock.now() - dt.timedelta(days=9)
    oncall.add_override(session, rotation.id, alex.id, started, started + dt.timedelta(days=12))
    session.commit()
    made = runner.invoke(args=["responders", "calendar", pat.name])
    team = _address(made.output, "every rotation")
    first = _shifts(client, team)
    clock.advance(hours=5)
    later = _shifts(client, team)
    clock.advance(days=2)
    much_later = _shifts(client, team)
    assert later == first
    common = first.keys() & much_later.keys()
    assert len(common) >= len(first) - 1
    assert {uid: first[uid] for uid in common} == {uid: much_later[uid] for uid in common}
    # Every shift begins at a hand-off (Monday 09:00 in Chicago) or where the override begins
    # or ends.
    starts = {start for start, _ in first.values()}
    override = {started.astimezone(UTC), (started + dt.timedelta(days=12)).astimezone(UTC)}
    assert override <= starts
    handoffs = starts - override
    assert all((s.weekday(), s.hour, s.minute) == (0, 15, 0) for s in handoffs), handoffs
