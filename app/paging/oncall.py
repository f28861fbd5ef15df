"""Who is on call at a given instant: weekly rotations in a time zone, with one-off overrides."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import Override, Responder, Role, Rotation, RotationMember


def handoff_at(rotation: Rotation, day: dt.date) -> dt.datetime:
    """The instant (UTC) of the hand-off on local date `day`, the one answer every view uses.

    Hand-offs happen at a wall-clock time in the rotation's zone, so a 09:00 Monday hand-off stays
    at 09:00 across daylight-saving changes (the week that contains one is an hour shorter/longer).
    A time the clocks skip (02:30 on the spring-forward night) moves to the first instant that
    exists (03:00); a time they repeat (01:30 when they fall back) is its first occurrence.
    """
    zone = ZoneInfo(rotation.time_zone)
    wall = dt.datetime.combine(day, rotation.handoff_time, tzinfo=zone)
    first = wall.astimezone(dt.UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return first
    # In the gap: `fold=1` reads the wall time with the offset before the change, `fold=0` with
    # the one after; the change itself lies between the two instants.
    before = wall.replace(fold=1).astimezone(dt.UTC)
    after_offset = first.astimezone(zone).utcoffset()
    low, high = min(before, first), max(before, first)
    while high - low > dt.timedelta(minutes=1):
        middle = (low + (high - low) / 2).replace(second=0, microsecond=0)
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high


def _shift_day(rotation: Rotation, at: dt.datetime) -> dt.date:
    """The local date of the hand-off that began the shift running at `at`."""
    local_day = at.astimezone(ZoneInfo(rotation.time_zone)).date()
    day = local_day - dt.timedelta(days=(local_day.weekday() - rotation.handoff_weekday) % 7)
    return day if handoff_at(rotation, day) <= at else day - dt.timedelta(days=7)


def shift_start(rotation: Rotation, at: dt.datetime) -> dt.datetime:
    """The hand-off that began the shift running at `at`, as an instant in UTC."""
    return handoff_at(rotation, _shift_day(rotation, at))


def scheduled_member(rotation: Rotation, at: dt.datetime) -> Responder | None:
    """The rotation's member whose turn it is at `at`, ignoring overrides."""
    if not rotation.members:
        return None
    weeks = (_shift_day(rotation, at) - rotation.start_date).days // 7
    return rotation.members[weeks % len(rotation.members)].responder


def active_override(rotation: Rotation, at: dt.datetime) -> Override | None:
    current = [o for o in rotation.overrides if o.starts_at <= at < o.ends_at]
    # The most recently started override wins when two overlap.
    return max(current, key=lambda o: (o.starts_at, o.id), default=None)


def on_call(rotation: Rotation, at: dt.datetime) -> Responder | None:
    override = active_override(rotation, at)
    return override.responder if override else scheduled_member(rotation, at)


def rotations(session: Session, position: str | None = None) -> list[Rotation]:
    query = select(Rotation).options(
        selectinload(Rotation.members), selectinload(Rotation.overrides)
    )
    if position:
        query = query.where(Rotation.position == position)
    return list(session.scalars(query.order_by(Rotation.id)))


def on_call_for(session: Session, position: str, at: dt.datetime) -> list[Responder]:
    """Everyone on call in rotations of this position (primary or secondary) at `at`.

    One statement: the rotations with their members and the overrides running at `at`, each
    with its responder, since opening an incident asks this inside the caller's request."""
    running = and_(
        Override.rotation_id == Rotation.id, Override.starts_at <= at, at < Override.ends_at
    )
    rows = session.execute(
        select(Rotation, Override)
        .outerjoin(Override, running)
        .where(Rotation.position == position)
        # The most recently started override wins when two overlap (as in active_override).
        .order_by(Rotation.id, Override.starts_at.desc(), Override.id.desc())
        .options(
            joinedload(Rotation.members).joinedload(RotationMember.responder),
            joinedload(Override.responder),
        )
    ).unique()
    found: list[Responder] = []
    seen: set[int] = set()
    for rotation, override in rows:
        if rotation.id in seen:
            continue
        seen.add(rotation.id)
        responder = override.responder if override else scheduled_member(rotation, at)
        if responder is not None and responder not in found:
            found.append(responder)
    return found


# Who is e-mailed which work summary when the roster does not say: the support process sends the
# after-hours summary to the team lead and the business-hours one to the director.
SUMMARIES_BY_ROLE = {Role.TEAM_LEAD: ["after_hours"], Role.DIRECTOR: ["business_hours"]}


def summary_audience(business_hours: bool) -> tuple[str, str]:
    """Which summaries, and who gets them by default, in words: ("after-hours", "team lead")."""
    return ("business-hours", "director") if business_hours else ("after-hours", "team lead")


def summary_recipients(session: Session, business_hours: bool) -> list[Responder]:
    kind = "business_hours" if business_hours else "after_hours"
    people = session.scalars(select(Responder).where(Responder.active).order_by(Responder.id))
    return [
        person
        for person in people
        if kind
        in (
            person.summaries
            if person.summaries is not None
            else SUMMARIES_BY_ROLE.get(Role(person.role), [])
        )
    ]


def with_role(session: Session, role: Role) -> list[Responder]:
    return list(
        session.scalars(
            select(Responder).where(Responder.role == role, Responder.active).order_by(Responder.id)
        )
    )


def upcoming(rotation: Rotation, start: dt.datetime, until: dt.datetime) -> list[tuple]:
    """(from, to, responder) spans of who is on call, overrides included, for display."""
    moments = {start, until}
    day = _shift_day(rotation, start)
    while (following := handoff_at(rotation, day := day + dt.timedelta(days=7))) < until:
        if start < following:
            moments.add(following)
    for override in rotation.overrides:
        for moment in (override.starts_at, override.ends_at):
            if start < moment < until:
                moments.add(moment)
    ordered = sorted(moments)
    spans: list[tuple] = []
    for begin, end in itertools.pairwise(ordered):
        responder = on_call(rotation, begin)
        if spans and spans[-1][2] is responder:
            spans[-1] = (spans[-1][0], end, responder)
        else:
            spans.append((begin, end, responder))
    return spans


class OverrideError(ValueError):
    """An override that cannot be saved, with the reason for the person who tried."""


def add_override(
    session: Session,
    rotation_id: int | None,
    responder_id: int | None,
    starts: dt.datetime,
    ends: dt.datetime,
    note: str = "",
) -> Override:
    """One-off cover: `responder` is on call for `rotation` from `starts` until `ends`."""
    rotation = session.get(Rotation, rotation_id) if rotation_id else None
    responder = session.get(Responder, responder_id) if responder_id else None
    if rotation is None or responder is None or ends <= starts:
        raise OverrideError("Choose a rotation and a responder, and an end after the start.")
    override = Override(
        rotation=rotation, responder=responder, starts_at=starts, ends_at=ends, note=note[:500]
    )
    session.add(override)
    return override


def remove_override(session: Session, override_id: int) -> bool:
    override = session.get(Override, override_id)
    if override is None:
        return False
    session.delete(override)
    return True
