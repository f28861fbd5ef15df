"""The service catalog: what the group supports, and matching what a caller said to it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator
from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session
from unidecode import unidecode

from app.models import PriorityContact, Responder, Service
from app.phones import InvalidNumber, to_e164
from app.yaml_files import FileError, Strict, read_model

# Below this a guess is more often wrong than right (see the table of recogniser spellings in
# tests/unit/test_catalog.py, which pins both the hits and the near misses).
MATCH_THRESHOLD = 80.0


@dataclass(frozen=True)
class Match:
    service: Service
    score: float
    phrase: str


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


def match_service(heard: str, services: Iterable[Service]) -> Match | None:
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


def active_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).where(Service.active).order_by(Service.name)))


def speech_hints(services: Iterable[Service], limit: int = 100) -> list[str]:
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
