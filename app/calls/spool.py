"""Voicemail kept on local disk while the database is unreachable, and turned into incidents
once it is back. Writing here needs nothing but the filesystem."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.incidents import service as incident_service
from app.models import Channel, Source
from app.phones import mask, try_e164

log = logging.getLogger(__name__)
# A spooled call is imported once its recording arrived, or after this long regardless (the
# caller may have hung up before recording: their number alone is still worth a call back).
SETTLE = dt.timedelta(minutes=5)
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def _path(spool: Path, call_sid: str) -> Path:
    return spool / f"{_SAFE.sub('_', call_sid)[:64]}.json"


def record(spool: Path, call_sid: str, now: dt.datetime, **fields: Any) -> None:
    """Merge `fields` into the call's spool file, atomically (a crash leaves old or new, whole)."""
    spool.mkdir(parents=True, exist_ok=True)
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


def import_spooled(session: Session, now: dt.datetime, spool: Path, region: str) -> int:
    """Open an incident for each settled voicemail; the file moves to imported/ after commit."""
    if not spool.is_dir():
        return 0
    done = spool / "imported"
    imported = 0
    for path in sorted(spool.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        settled = data.get("recording_url") or (
            now - dt.datetime.fromisoformat(data["updated"]) >= SETTLE
        )
        if not settled:
            continue
        caller = try_e164(data.get("from", ""), region)
        callback = try_e164(data.get("callback", ""), region) or caller
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
        session.commit()
        done.mkdir(exist_ok=True)
        os.replace(path, done / path.name)
        log.info("spooled voicemail %s became %s", path.name, incident.reference)
        imported += 1
    return imported
