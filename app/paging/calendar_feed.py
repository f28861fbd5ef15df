"""Who is on call as iCalendar feeds a phone's calendar subscribes to: a responder's own shifts,
and every rotation's. Each responder has one secret address; making a new one revokes the old."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Responder, Rotation
from app.paging import oncall

# From a week back (a shift in progress shows) to eight weeks ahead.
BEHIND, AHEAD = dt.timedelta(days=7), dt.timedelta(weeks=8)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(responder: Responder) -> str:
    """A fresh secret for the responder's feeds (shown once; only its hash is kept)."""
    secret = secrets.token_urlsafe(24)
    responder.calendar_key_hash = _hash(secret)
    return secret


def revoke(responder: Responder) -> None:
    responder.calendar_key_hash = None


def owner(session: Session, secret: str) -> Responder | None:
    if not secret or len(secret) > 100:
        return None
    return session.scalar(
        select(Responder).where(Responder.calendar_key_hash == _hash(secret), Responder.active)
    )


def feed(
    session: Session, now: dt.datetime, name: str, only: Responder | None, base_url: str
) -> bytes:
    """The calendar: `only`'s shifts, or everyone's (None)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//after-hours line//on call//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for rotation in oncall.rotations(session):
        for start, end, person in oncall.upcoming(
            rotation, *_whole_shifts(rotation, now - BEHIND, now + AHEAD)
        ):
            if person is None or (only is not None and person.id != only.id):
                continue
            calendar.add_component(
                _shift(rotation, start, end, person, now, base_url, own=only is not None)
            )
    return calendar.to_ical()


def _whole_shifts(
    rotation: Rotation, start: dt.datetime, until: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The window widened to the shifts and overrides it cuts through: no event starts or ends
    at the moment of the fetch, so an event keeps its start, end and UID from one fetch to the
    next and a calendar app updates it rather than deleting and adding it again."""
    start, until = oncall.shift_start(rotation, start), oncall.shift_start(rotation, until)
    widened = True
    while widened:
        widened = False
        for override in rotation.overrides:
            if override.starts_at < start < override.ends_at:
                start, widened = override.starts_at, True
            if override.starts_at < until < override.ends_at:
                until, widened = override.ends_at, True
    return start, until


def _shift(
    rotation: Rotation,
    start: dt.datetime,
    end: dt.datetime,
    person: Responder,
    now: dt.datetime,
    base_url: str,
    own: bool,
) -> icalendar.Event:
    event = icalendar.Event()
    # Stable across fetches, so a calendar updates a shift instead of adding a copy.
    event.add("uid", f"{rotation.id}-{person.id}-{start:%Y%m%dT%H%M%SZ}@after-hours-line")
    event.add("dtstamp", now)
    event.add("dtstart", start.astimezone(dt.UTC))
    event.add("dtend", end.astimezone(dt.UTC))
    which = (
        rotation.position
        if rotation.name == rotation.position
        else f"{rotation.name}, {rotation.position}"
    )
    event.add("summary", f"On call: {person.name} ({which})")
    # A responder's own feed reminds them which phone is paged; the team's feed, shared more
    # widely, names people and never their numbers.
    pages = f"Pages come by SMS to {person.phone}. " if own else ""
    event.add(
        "description",
        f"{person.name} is {rotation.position} on call for the after-hours line. "
        f"{pages}The schedule: {base_url}/oncall",
    )
    event.add("transp", "TRANSPARENT")
    return event
