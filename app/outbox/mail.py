"""E-mail: queued as rows in the transaction that decides to write, sent by the worker (as the
outbox's `mail` kind, mail_sending.py) through whatever `Mailer` the app was given (SMTP, or
printed in development)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

from app.models import Email, Incident


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


def queue_email(
    session: Session,
    now: dt.datetime,
    to: str,
    subject: str,
    body: str,
    incident: Incident | None = None,
) -> Email:
    email = Email(
        to_address=to,
        subject=subject,
        body=body,
        incident_id=incident.id if incident else None,
        due_at=now,
        created_at=now,
    )
    session.add(email)
    return email
