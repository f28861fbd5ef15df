"""The service catalog: what the group supports, and matching what a caller said to it."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from weakref import WeakKeyDictionary

from pydantic import Field, field_validator
from rapidfuzz import fuzz
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from unidecode import unidecode

from app.models import UNNAMED_FOR_CALLERS, Incident, PriorityContact, Responder, Service
from app.phones import InvalidNumber, to_e164
from app.yaml_files import FileError, Strict, read_model

# Below this a guess is more often wrong than right (see the table of recogniser spellings in
# tests/unit/test_catalog.py, which pins both the hits and the near misses).
MATCH_THRESHOLD = 80.0


@dataclass(frozen=True)
class Entry:
    """A service as the call menu needs it: read once per process, not once per caller."""

    id: int
    slug: str
    name: str
    aliases: tuple[str, ...]
    priority_customer: bool


class Named(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Match:
    service: Named
    score: float
    phrase: str


# A change made by another process (a catalog loaded from the CLI) reaches the call menu of
# this one within this time; a change made in this process, at once.
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Kept:
    at: float
    services: tuple[Entry, ...]
    # The numbers of priority (CAS) customers' people, whatever they call about.
    priority_numbers: frozenset[str]


class CatalogCache:
    """The active services and the priority contacts per database, kept for CACHE_SECONDS:
    every caller's service question, speech hints, examples and CAS check read them, and they
    change a few times a year."""

    def __init__(
        self, seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._kept: WeakKeyDictionary[object, Kept] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def entries(self, session: Session) -> tuple[Entry, ...]:
        return self._current(session).services

    def priority_numbers(self, session: Session) -> frozenset[str]:
        return self._current(session).priority_numbers

    def _current(self, session: Session) -> Kept:
        bind, now = session.get_bind(), self.clock()
        with self._lock:
            kept = self._kept.get(bind)
        if kept is not None and now - kept.at < self.seconds:
            return kept
        rows = session.execute(
            select(
                Service.id, Service.slug, Service.name, Service.aliases, Service.priority_customer
            )
            .where(Service.active)
            .order_by(Service.name)
        ).all()
        kept = Kept(
            now,
            tuple(
                Entry(row.id, row.slug, row.name, tuple(row.aliases), row.priority_customer)
                for row in rows
            ),
            frozenset(session.scalars(select(PriorityContact.number))),
        )
        with self._lock:
            self._kept[bind] = kept
        return kept

    def forget(self, bind: object) -> None:
        with self._lock:
            self._kept.pop(bind, None)


CACHE = CatalogCache()
CHANGED = "catalog_changed"
CACHED = (Service, PriorityContact)


def by_id(entries: Iterable[Entry], service_id: int | None) -> Entry | None:
    """The active service with this id among `entries`, or None."""
    return next((entry for entry in entries if entry.id == service_id), None)


def name_of(session: Session, incident: Incident) -> str:
    """The incident's service as `Incident.service_name` says it, from the cached catalog."""
    entry = by_id(CACHE.entries(session), incident.service_id)
    return entry.name if entry else incident.service_name


def name_for_callers(session: Session, incident: Incident) -> str:
    """`Incident.service_for_callers`, from the cached catalog."""
    entry = by_id(CACHE.entries(session), incident.service_id)
    return entry.name if entry else UNNAMED_FOR_CALLERS


@event.listens_for(Session, "after_flush")
def _note_catalog_change(session: Session, _context: object) -> None:
    # A service's own columns, not its list of incidents (a new incident touches that).
    changed = [
        row
        for row in session.dirty
        if isinstance(row, CACHED) and session.is_modified(row, include_collections=False)
    ]
    touched = itertools.chain(session.new, session.deleted, changed)
    if any(isinstance(row, CACHED) for row in touched):
        session.info[CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_catalog(session: Session) -> None:
    # After the commit, so no request in between caches what is about to change.
    if session.info.pop(CHANGED, False):
        CACHE.forget(session.get_bind())


def normalise(text: str) -> str:
    """Lower-case ASCII words; spelled-out letters join up ("v p n" -> "vpn")."""
    text = unidecode(text or "").lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"\b([a-z])((?: [a-z]\b)+)", lambda m: m[0].replace(" ", ""), text)


def score(heard: str, phrase: str) -> float:
    """How well some run of the caller's words spells the phrase, 0 to 100.

    Words are compared squashed together because recognisers split and join freely ("share
    point", "e mail", "hawk i d"); the rest of the sentence ("the ... website is down") is ignored.
    """
    words, target = heard.split(), phrase.replace(" ", "")
    longest = len(phrase.split()) + 1
    best = 0.0
    for start in range(len(words)):
        for stop in range(start + 1, min(start + longest, len(words)) + 1):
            window = "".join(words[start:stop])
            if len(target) <= 3:
                # Short acronyms (VPN, SSO) only count when said exactly.
                best = max(best, 100.0 if window == target else 0.0)
            else:
                best = max(best, fuzz.ratio(window, target))
    return best


def match_service(heard: str, services: Iterable[Named]) -> Match | None:
    """The catalog entry the caller most likely meant, or None when nothing is close enough."""
    said = normalise(heard)
    if not said:
        return None
    best: Match | None = None
    for service in services:
        for phrase in [service.name, *service.aliases]:
            candidate = normalise(phrase)
            if not candidate:
                continue
            found = Match(service, score(said, candidate), phrase)
            # On a tie the longer, more specific phrase wins.
            if best is None or (found.score, len(candidate)) > (best.score, len(best.phrase)):
                best = found
    return best if best and best.score >= MATCH_THRESHOLD else None


def speech_hints(services: Iterable[Named], limit: int = 100) -> list[str]:
    """Names and aliases for the recogniser; Twilio takes at most a few hundred phrases."""
    hints: list[str] = []
    for service in services:
        for phrase in [service.name, *service.aliases]:
            if phrase not in hints:
                hints.append(phrase)
    return hints[:limit]


class CatalogError(FileError):
    """A catalog file that cannot be loaded, with where the mistake is."""


class ServiceEntry(Strict):
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list)
    customer: str = Field("", max_length=200)
    # A CAS customer's service: served first.
    priority_customer: bool = False
    active: bool = True
    # Responders by name, as in the roster: put through to in business hours, paged first then.
    primary_admin: str | None = Field(None, min_length=1, max_length=200)
    backup_admin: str | None = Field(None, min_length=1, max_length=200)


class PriorityContactEntry(Strict):
    number: str
    customer: str = Field("", max_length=200)

    @field_validator("number", mode="before")
    @classmethod
    def _e164(cls, value: object) -> str:
        try:
            return to_e164(str(value))
        except InvalidNumber as exc:
            raise ValueError(str(exc)) from None


class CatalogFile(Strict):
    services: list[ServiceEntry] = Field(min_length=1)
    priority_contacts: list[PriorityContactEntry] = Field(default_factory=list)


def parse_catalog(path: Path) -> CatalogFile:
    return read_model(path, CatalogFile, CatalogError)


def load_catalog(session: Session, catalog: CatalogFile) -> int:
    """Make the database match the file: services by slug, priority contacts replaced."""
    count = upsert_services(session, catalog.services)
    replace_priority_contacts(session, catalog.priority_contacts)
    return count


def _responder(
    session: Session, entry: ServiceEntry, role: str, name: str | None
) -> Responder | None:
    if name is None:
        return None
    found = session.scalar(select(Responder).where(Responder.name == name))
    if found is None:
        raise CatalogError(
            f"service {entry.slug}: {role} {name!r} is not in the roster (load the roster first)"
        )
    return found


def upsert_services(session: Session, entries: Iterable[ServiceEntry]) -> int:
    """Load catalog entries by slug (the demo data and operators' catalog files); administrators
    are checked against the roster, and the whole file is refused if one is unknown."""
    count = 0
    for entry in entries:
        primary = _responder(session, entry, "primary_admin", entry.primary_admin)
        backup = _responder(session, entry, "backup_admin", entry.backup_admin)
        service = session.scalar(select(Service).where(Service.slug == entry.slug))
        if service is None:
            service = Service(slug=entry.slug)
            session.add(service)
        service.name = entry.name
        service.aliases = list(entry.aliases)
        service.customer = entry.customer
        service.priority_customer = entry.priority_customer
        service.active = entry.active
        service.primary_admin, service.backup_admin = primary, backup
        count += 1
    return count


def replace_priority_contacts(session: Session, entries: Iterable[PriorityContactEntry]) -> int:
    """The numbers of priority (CAS) customers; the list in the file replaces the stored one."""
    contacts = {entry.number: entry.customer for entry in entries}
    for existing in session.scalars(select(PriorityContact)):
        if existing.number not in contacts:
            session.delete(existing)
        else:
            existing.customer = contacts.pop(existing.number)
    session.add_all(PriorityContact(number=n, customer=c) for n, c in contacts.items())
    return len(contacts)
