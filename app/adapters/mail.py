"""E-mail: queued as rows, sent by the worker through SMTP (or printed in development)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.models import Email, Incident, NotificationStatus

log = logging.getLogger(__name__)
RETRY_DELAYS = (30, 120, 600, 1800, 3600)


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 20

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = header(self.sender)
        message["To"] = header(to)
        message["Subject"] = header(subject)
        message.set_content(body)
        self.deliver(message)

    def deliver(self, message: EmailMessage) -> None:
        with self._connect() as smtp:
            smtp.send_message(message)

    def check(self) -> None:
        """Connect and sign in, as a send would; raises what a send would."""
        with self._connect() as smtp:
            smtp.noop()

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except Exception:
            smtp.close()
            raise
        return smtp


def smtp_mailer(settings: Settings, timeout: float = 20) -> SmtpMailer:
    return SmtpMailer(
        settings.SMTP_HOST,
        settings.SMTP_PORT,
        settings.MAIL_FROM,
        settings.SMTP_USERNAME,
        settings.SMTP_PASSWORD,
        settings.SMTP_STARTTLS,
        timeout,
    )


def header(value: str) -> str:
    """A header value on one line: a line break in a service name or a subject must never end
    the header (or let anyone add one)."""
    return " ".join(value.split())[:900]


@dataclass
class ConsoleMailer:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
        print(f"[console e-mail to {to}] {subject}\n{body}", flush=True)


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


def send_due(session: Session, clock: Clock, mailer: Mailer, limit: int = 50) -> int:
    """Send due e-mail one row at a time, each locked while it is sent (so two workers never
    send the same one); a failure is retried with backoff, then given up and logged."""
    sent = 0
    while sent < limit:
        now = clock.now()
        email = session.scalar(
            select(Email)
            .where(Email.status == NotificationStatus.QUEUED, Email.due_at <= now)
            .order_by(Email.due_at, Email.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if email is None:
            break
        email.attempts += 1
        try:
            mailer.send(email.to_address, email.subject, email.body)
        except Exception as exc:
            # Whatever this one message does (a refused address, a bad header, a server
            # down), it is recorded and retried later; it never stops the rest of the outbox.
            email.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if email.attempts > len(RETRY_DELAYS):
                email.status = NotificationStatus.FAILED
                log.error("e-mail %d parked after %d tries: %s", email.id, email.attempts, exc)
            else:
                email.due_at = now + dt.timedelta(seconds=RETRY_DELAYS[email.attempts - 1])
                log.warning("e-mail %d failed (%s); retrying", email.id, exc)
        else:
            email.status = NotificationStatus.SENT
            email.sent_at = now
        session.commit()
        sent += 1
    return sent
