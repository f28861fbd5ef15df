"""Tickets by e-mail to the ticketing system's inbound address: one thread per incident (the
opening's Message-ID, which every update names in In-Reply-To and References)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from app.adapters.mail import SmtpMailer, header
from app.tickets.backend import TicketError, TicketRef
from app.tickets.content import NewTicket, TicketChange


@dataclass
class TicketMail:
    to: str
    sender: str
    smtp: SmtpMailer
    name: str = "email"

    @property
    def domain(self) -> str:
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"

    def thread_id(self, ticket: NewTicket) -> str:
        """The same for every try, so a ticketing system that saw it already drops a repeat."""
        return f"<{ticket.reference.lower()}.{ticket.opened_at:%Y%m%d%H%M%S}@{self.domain}>"

    def _send(self, subject: str, body: str, message_id: str, thread: str | None) -> None:
        message = EmailMessage()
        message["From"] = header(self.sender)
        message["To"] = header(self.to)
        message["Subject"] = header(subject)
        message["Message-ID"] = message_id
        if thread is not None:
            message["In-Reply-To"] = thread
            message["References"] = thread
        message.set_content(body)
        try:
            self.smtp.deliver(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise TicketError(f"the SMTP server at {self.smtp.host} refused it: {exc}") from None

    def create(self, ticket: NewTicket, retried: bool) -> TicketRef:
        self._send(ticket.subject, ticket.body, self.thread_id(ticket), None)
        return TicketRef()

    def update(self, ref: TicketRef, ticket: NewTicket, change: TicketChange) -> None:
        thread = self.thread_id(ticket)
        message_id = f"<{ticket.reference.lower()}.{change.id}@{self.domain}>"
        when = format_datetime(change.at)
        self._send(f"Re: {ticket.subject}", f"{change.text}\n\n({when})", message_id, thread)

    def check(self) -> str:
        try:
            self.smtp.check()
        except (OSError, smtplib.SMTPException) as exc:
            raise TicketError(
                f"the SMTP server at {self.smtp.host}:{self.smtp.port}: {exc}"
            ) from None
        server = f"{self.smtp.host}:{self.smtp.port}"
        return f"the SMTP server at {server} took the login; tickets go to {self.to}"
