"""Mailers: SMTP, or printed in development. E-mail is queued and sent as an outbox kind
(app/outbox/mail.py)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from app.config import Settings


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
