"""Proving a responder's number: a six-digit code by SMS, valid for 15 minutes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import NotificationChannel, NotificationKind, PhoneVerification, Responder
from app.paging import notify

VALID_FOR = dt.timedelta(minutes=15)
MAX_TRIES = 5


def _digest(secret: str, responder: Responder, code: str) -> str:
    message = f"{responder.id}:{responder.phone}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def send_code(session: Session, now: dt.datetime, responder: Responder, secret: str) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        PhoneVerification(
            responder=responder,
            code_hash=_digest(secret, responder, code),
            expires_at=now + VALID_FOR,
        )
    )
    notify.queue(
        session,
        now,
        kind=NotificationKind.VERIFICATION,
        channel=NotificationChannel.SMS,
        to=responder.phone,
        responder=responder,
        body=f"Your after-hours line code is {code}. Reply with it within 15 minutes to "
        "start receiving pages.",
    )


def check_code(
    session: Session, now: dt.datetime, responder: Responder, code: str, secret: str
) -> str:
    """Verify the number if `code` is right; returns the reply to send either way."""
    pending = session.scalar(
        select(PhoneVerification)
        .where(PhoneVerification.responder_id == responder.id, PhoneVerification.used_at.is_(None))
        .order_by(PhoneVerification.id.desc())
    )
    if pending is None or pending.expires_at <= now:
        return "That code has expired or was never sent. Ask your team lead for a new one."
    if pending.attempts >= MAX_TRIES:
        return "Too many wrong codes. Ask your team lead for a new one."
    pending.attempts += 1
    if not hmac.compare_digest(pending.code_hash, _digest(secret, responder, code)):
        return f"That code is not right ({MAX_TRIES - pending.attempts} tries left)."
    pending.used_at = now
    responder.verified_at = now
    return f"Thanks {responder.first_name}, your number is verified: pages will come here."
