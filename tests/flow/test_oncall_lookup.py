"""Who is on call, read from the database in one statement (opening an incident asks it inside
the caller's request): the same answer as the rotation's own rules, overrides included."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.models import Override, Responder, Rotation
from app.paging.oncall import add_override, on_call, on_call_for, rotations
from tests.support import statements_on


def _person(session, name: str) -> Responder:
    return session.scalars(select(Responder).where(Responder.name == name)).one()


def test_on_call_agrees_with_the_rotation_rules_through_overlapping_overrides(app, session, clock):
    primary = session.scalars(select(Rotation).where(Rotation.position == "primary")).first()
    assert primary is not None
    now = clock.now()
    hour = dt.timedelta(hours=1)
    covers = [
        ("Sam Ortiz", now - 30 * hour, now - 20 * hour),  # over before the window
        ("Sam Ortiz", now, now + 10 * hour),  # a long cover
        ("Jordan Reyes", now + 2 * hour, now + 4 * hour),  # a shorter one, started later: wins
        ("Jordan Reyes", now + 40 * hour, now + 50 * hour),  # not begun yet
    ]
    for name, starts, ends in covers:
        add_override(session, primary.id, _person(session, name).id, starts, ends)
    session.commit()
    moments = [now - hour, now, now + 3 * hour, now + 4 * hour, now + 9 * hour, now + 12 * hour]
    expected = []
    for at in moments:
        by_rules = [on_call(rotation, at) for rotation in rotations(session, "primary")]
        expected.append([r.name for r in by_rules if r is not None])
    session.expunge_all()  # nothing loaded: the lookup reads everything it needs itself
    found, counted = [], []
    for at in moments:
        with statements_on(app.extensions["db"].engine) as statements:
            found.append([r.name for r in on_call_for(session, "primary", at)])
        counted.append(len(statements))
        session.expunge_all()
    assert found == expected
    names = [names[0] for names in found]
    assert names[1] == "Sam Ortiz" and names[2] == "Jordan Reyes" and names[4] == "Sam Ortiz"
    assert names[0] == names[5] != "Jordan Reyes"
    assert counted == [1] * len(moments)
    assert session.scalar(select(Override).where(Override.ends_at < now)) is not None
