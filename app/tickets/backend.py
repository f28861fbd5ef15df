"""What a ticketing system must do for the line, whichever it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.tickets.content import NewTicket, TicketChange


class TicketError(Exception):
    """The ticketing system did not take it (down, refused, misconfigured); the message says
    what, in one line, for the dashboard and `tickets check`."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when there was an answer


@dataclass(frozen=True)
class TicketRef:
    """The ticket as the ticketing system knows it: its id and a link for people. Both are blank
    where the system does not say (a ticket opened by e-mail)."""

    id: str = ""
    url: str = ""


class TicketBackend(Protocol):
    name: str

    def create(self, ticket: NewTicket, retried: bool) -> TicketRef:
        """Open the ticket. `retried`: an earlier try may have reached the system without an
        answer coming back, so look for the ticket before opening a second one."""
        ...

    def update(self, ref: TicketRef, ticket: NewTicket, change: TicketChange) -> None:
        """Comment on the ticket and apply the change's status and time worked."""
        ...

    def check(self) -> str:
        """Try the settings against the live system; what was found, or TicketError."""
        ...
