"""Webhooks that must act once: the first delivery's answer is kept and given again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import WebhookReceipt


def once(session: Session, now: dt.datetime, key: str, act: Callable[[], str]) -> str:
    """Run `act` (which writes through `session`) the first time `key` is seen; commit both."""
    seen = session.scalar(select(WebhookReceipt).where(WebhookReceipt.key == key))
    if seen is not None:
        return seen.body
    body = act()
    session.add(WebhookReceipt(key=key[:200], body=body, at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        seen = session.scalar(select(WebhookReceipt).where(WebhookReceipt.key == key))
        if seen is None:
            raise
        return seen.body
    return body
