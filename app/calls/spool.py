"""Voicemail kept on local disk while the database is unreachable, and turned into incidents
once it is back. Writing here needs nothing but the filesystem."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.incidents import service as incident_service
from app.models import Channel, Source, SpooledCall
from app.phones import CallbackPolicy, mask, try_e164

log = logging.getLogger(__name__)
# A spooled call is imported once its recording arrived, or after this long regardless (the
# caller may have hung up before recording: their number alone is still worth a call back).
SETTLE = dt.timedelta(minutes=5)
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def _path(spool: Path, call_sid: str) -> Path:
    return spool / f"{_SAFE.sub('_', call_sid)[:64]}.json"


def record(spool: Path, call_sid: str, now: dt.datetime, **fields: Any) -> None:
    """Merge `fields` into the call's spool file, atomically (a crash leaves old or new, whole).
    Raises SpoolUnavailable when the spool cannot take it."""
    problem = check(spool)
    if problem:
        raise SpoolUnavailable(problem)
    path = _path(spool, call_sid)
    data: dict[str, Any] = {"call_sid": call_sid, "first_seen": now.isoformat()}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            log.error("spooled voicemail %s is unreadable; starting it again", path.name)
    data.update({k: v for k, v in fields.items() if v not in (None, "")})
    data["updated"] = now.isoformat()
    handle, temporary = tempfile.mkstemp(dir=spool, suffix=".tmp")
    with os.fdopen(handle, "w") as out:
        json.dump(data, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def import_spooled(session: Session, now: dt.datetime, spool: Path, policy: CallbackPolicy) -> int:
    """Open an incident for each settled voicemail, exactly once however many workers look:
    the file's name is a unique row written with the incident, and the file moves to imported/
    after commit."""
    if not spool.is_dir():
        return 0
    imported = 0
    for path in sorted(spool.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            continue  # another worker took it meanwhile
        except (OSError, ValueError):
            log.error("spooled voicemail %s is unreadable; left for a person", path.name)
            continue
        settled = data.get("recording_url") or (
            now - dt.datetime.fromisoformat(data["updated"]) >= SETTLE
        )
        if settled and _import_one(session, now, path, data, policy):
            imported += 1
    return imported


def _import_one(
    session: Session, now: dt.datetime, path: Path, data: dict[str, Any], policy: CallbackPolicy
) -> bool:
    if session.scalar(select(SpooledCall.id).where(SpooledCall.name == path.name)):
        _move_done(path)  # imported before; the move was lost (a crash, another worker)
        return False
    claim = SpooledCall(name=path.name, claimed_at=now)
    session.add(claim)
    try:
        session.flush()  # a second worker on the same file stops here
    except IntegrityError:
        session.rollback()
        return False
    caller = try_e164(data.get("from", ""), policy.region)
    callback = policy.usable(data.get("callback", "")) or policy.usable(caller)
    draft = incident_service.IncidentDraft(
        source=Source.PHONE,
        description="Voicemail left while the line's database was unreachable.",
        recording_url=data.get("recording_url"),
        callback_number=callback,
        caller_number=caller,
        incomplete=not data.get("recording_url"),
        text_caller=True,
    )
    incident = incident_service.open_incident(
        session, now, draft, actor=mask(caller or data.get("from")), channel=Channel.VOICE
    )
    claim.incident_id = incident.id
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    _move_done(path)
    log.info("spooled voicemail %s became %s", path.name, incident.reference)
    return True


def _move_done(path: Path) -> None:
    done = path.parent / "imported"
    done.mkdir(exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, done / path.name)


class SpoolUnavailable(OSError):
    """The spool cannot take a voicemail now (not writable, or the disk is nearly full)."""


# Below this much free space the spool refuses, so a voicemail is never half-written.
MIN_FREE_BYTES = 20 * 1024 * 1024


def check(spool: Path) -> str | None:
    """What stops the spool from keeping a voicemail, or None when it can."""
    try:
        spool.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {spool}: {exc.strerror}"
    if not os.access(spool, os.W_OK):
        return f"{spool} is not writable"
    free = shutil.disk_usage(spool).free
    if free < MIN_FREE_BYTES:
        return f"only {free // (1024 * 1024)} MB free for {spool}"
    return None
