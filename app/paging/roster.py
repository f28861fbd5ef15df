"""The roster file: responders, rotations, overrides and escalation policies, as one YAML file.

`flask --app app roster load FILE` makes the database match the file: responders are updated by
name, rotations and policies replaced by name. A section the file has is the whole truth for it:
a responder missing from `responders` is deactivated (their history stays), a rotation missing
from `rotations` is removed. A section the file leaves out is left as it is, so a file of
overrides alone is still a roster file. A mistake is reported with where it is, and nothing is
changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import WEEKDAYS, known_zone
from app.models import (
    Override,
    Responder,
    Role,
    Rotation,
    RotationMember,
)
from app.paging import calendar_feed, oncall
from app.paging.policy import PolicyEntry, save_policy
from app.phones import InvalidNumber, to_e164
from app.yaml_files import FileError, Strict, read_model


class RosterError(FileError):
    pass


class ResponderEntry(Strict):
    name: str = Field(min_length=1)
    phone: str
    role: Role = Role.ADMIN
    email: str = ""
    # An operator vouches for the number; otherwise it must be verified by SMS code.
    verified: bool = False
    active: bool = True
    # Which work summaries they are e-mailed; unset, as their role has it.
    summaries: list[Literal["after_hours", "business_hours"]] | None = None


class RotationEntry(Strict):
    name: str
    position: Literal["primary", "secondary"] = "primary"
    time_zone: str
    handoff: str = Field(description="weekday and local time, e.g. 'mon 09:00'")
    start: dt.date
    members: list[str] = Field(min_length=1)

    _zone = field_validator("time_zone")(lambda value: known_zone(value))

    @property
    def weekday_and_time(self) -> tuple[int, dt.time]:
        day, _, clock = self.handoff.strip().lower().partition(" ")
        if day[:3] not in WEEKDAYS:
            raise ValueError(f"handoff {self.handoff!r}: expected a weekday like 'mon 09:00'")
        return WEEKDAYS.index(day[:3]), dt.time.fromisoformat(clock.strip().zfill(5))

    @model_validator(mode="after")
    def _start_on_handoff_day(self) -> RotationEntry:
        try:
            weekday, _ = self.weekday_and_time
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        if self.start.weekday() != weekday:
            raise ValueError(f"start {self.start} is not a {WEEKDAYS[weekday]} (the hand-off day)")
        return self


class OverrideEntry(Strict):
    rotation: str
    responder: str
    start: dt.datetime
    end: dt.datetime
    note: str = ""

    @model_validator(mode="after")
    def _order(self) -> OverrideEntry:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RosterFile(Strict):
    responders: list[ResponderEntry] = Field(default_factory=list)
    rotations: list[RotationEntry] = Field(default_factory=list)
    overrides: list[OverrideEntry] = Field(default_factory=list)
    policies: list[PolicyEntry] = Field(default_factory=list)


def parse_roster(path: Path) -> RosterFile:
    return read_model(path, RosterFile, RosterError)


@dataclass
class Loaded:
    """What a load did: how many of each section, and who and what it took away."""

    counts: dict[str, int]
    deactivated: list[str] = field(default_factory=list)
    removed_rotations: list[str] = field(default_factory=list)


def load_roster(session: Session, now: dt.datetime, roster: RosterFile, zone: str) -> Loaded:
    """Make the database match the roster; raises RosterError (changing nothing) on a mistake."""
    people = _load_responders(session, now, roster.responders)
    deactivated = (
        _deactivate_missing(people, roster.responders)
        if "responders" in roster.model_fields_set
        else []
    )
    rotations = _load_rotations(session, people, roster.rotations)
    removed = (
        _remove_missing(session, rotations, roster.rotations)
        if "rotations" in roster.model_fields_set
        else []
    )
    if roster.overrides or roster.rotations:
        for rotation in rotations.values():
            rotation.overrides.clear()
    _load_overrides(people, rotations, roster.overrides, ZoneInfo(zone))
    for entry in roster.policies:
        for step in entry.steps:
            for target in step.notify:
                if target.startswith("responder:"):
                    people.get(target.partition(":")[2], f"policy {entry.name}")
        save_policy(session, entry)
    session.flush()
    counts = {
        "responders": len(roster.responders),
        "rotations": len(roster.rotations),
        "overrides": len(roster.overrides),
        "policies": len(roster.policies),
    }
    return Loaded(counts, deactivated, removed)


def _deactivate_missing(people: _People, entries: list[ResponderEntry]) -> list[str]:
    """Responders the file no longer lists stop at once: no pages, no commands by SMS, no
    actions anywhere, no calendar feed. The row stays, for the history that names them."""
    listed = {entry.name for entry in entries}
    gone = []
    for name, responder in sorted(people.by_name.items()):
        if name in listed:
            continue
        if responder.active:
            responder.active = False
            gone.append(name)
        calendar_feed.revoke(responder)
        # The rest of the file (rotations, overrides, policies) may not name them either.
        del people.by_name[name]
    return gone


def _remove_missing(
    session: Session, rotations: dict[str, Rotation], entries: list[RotationEntry]
) -> list[str]:
    listed = {entry.name for entry in entries}
    removed = sorted(name for name in rotations if name not in listed)
    for name in removed:
        session.delete(rotations.pop(name))  # its members and overrides with it
    return removed


def summary_gaps(session: Session) -> list[str]:
    """Work summaries that would reach nobody: no active responder who gets them has an
    e-mail address. Loading such a roster is allowed (an address may follow), but said."""
    gaps = []
    for business_hours in (False, True):
        if not any(p.email for p in oncall.summary_recipients(session, business_hours)):
            kind, role = oncall.summary_audience(business_hours)
            gaps.append(
                f"nobody with an e-mail address gets {kind} work summaries; give the {role} "
                "an email in the roster"
            )
    return gaps


class _People:
    """Responders by name, for the sections that name them."""

    def __init__(self, by_name: dict[str, Responder]) -> None:
        self.by_name = by_name

    def get(self, name: str, where: str) -> Responder:
        if name not in self.by_name:
            raise RosterError(f"{where}: no responder named {name!r}")
        return self.by_name[name]


def _load_responders(session: Session, now: dt.datetime, entries: list[ResponderEntry]) -> _People:
    by_name: dict[str, Responder] = {r.name: r for r in session.scalars(select(Responder))}
    for entry in entries:
        try:
            phone = to_e164(entry.phone)
        except InvalidNumber as exc:
            raise RosterError(f"responder {entry.name}: phone {entry.phone!r}: {exc}") from None
        responder = by_name.get(entry.name)
        if responder is None:
            responder = Responder(name=entry.name, phone=phone, created_at=now)
            session.add(responder)
            by_name[entry.name] = responder
        elif responder.phone != phone:
            responder.verified_at = None  # a new number must be verified again
        responder.phone = phone
        responder.role = entry.role
        responder.email = entry.email
        responder.active = entry.active
        responder.summaries = list(entry.summaries) if entry.summaries is not None else None
        if entry.verified and responder.verified_at is None:
            responder.verified_at = now
    return _People(by_name)


def _load_rotations(
    session: Session, people: _People, entries: list[RotationEntry]
) -> dict[str, Rotation]:
    rotations: dict[str, Rotation] = {r.name: r for r in session.scalars(select(Rotation))}
    for entry in entries:
        weekday, handoff = entry.weekday_and_time
        rotation = rotations.get(entry.name) or Rotation(name=entry.name)
        session.add(rotation)
        rotations[entry.name] = rotation
        rotation.position = entry.position
        rotation.time_zone = entry.time_zone
        rotation.handoff_weekday = weekday
        rotation.handoff_time = handoff
        rotation.start_date = entry.start
        rotation.members = [
            RotationMember(position=i, responder=people.get(name, f"rotation {entry.name}"))
            for i, name in enumerate(entry.members)
        ]
    return rotations


def _load_overrides(
    people: _People, rotations: dict[str, Rotation], entries: list[OverrideEntry], local: ZoneInfo
) -> None:
    for entry in entries:
        if entry.rotation not in rotations:
            raise RosterError(f"override: no rotation named {entry.rotation!r}")
        rotations[entry.rotation].overrides.append(
            Override(
                responder=people.get(entry.responder, f"override on {entry.rotation}"),
                starts_at=_aware(entry.start, local),
                ends_at=_aware(entry.end, local),
                note=entry.note,
            )
        )


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
