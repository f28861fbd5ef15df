"""Request Tracker 5 through its REST 2 API (`/REST/2.0/`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from app.adapters.tickets.http import call, signed_in
from app.tickets.backend import TicketError, TicketRef
from app.tickets.content import NewTicket, TicketChange, TicketStatus

# RT's default lifecycle has no "closed" beyond resolved, and calls a cancelled ticket rejected.
RT_STATUS = {
    TicketStatus.OPEN: "open",
    TicketStatus.RESOLVED: "resolved",
    TicketStatus.CLOSED: "resolved",
    TicketStatus.CANCELLED: "rejected",
}


@dataclass
class RequestTracker:
    url: str
    queue: str
    token: str = ""
    user: str = ""
    password: str = ""
    timeout: float = 10
    name: str = "rt"
    _http: requests.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self._http = signed_in("token", self.token, self.user, self.password)

    def _rest(self, method: str, path: str, **kwargs: Any) -> Any:
        response = call(
            self._http, "RT", method, f"{self.url}/REST/2.0/{path}", self.timeout, **kwargs
        )
        return response.json() if response.content else None

    def create(self, ticket: NewTicket, retried: bool) -> TicketRef:
        if retried:
            found = self._find(ticket.reference)
            if found is not None:
                return found
        fields = {
            "Queue": self.queue,
            "Subject": ticket.subject,
            "Content": ticket.body,
            "ContentType": "text/plain",
        }
        if ticket.requestor_email:
            fields["Requestor"] = ticket.requestor_email
        created = self._rest("POST", "ticket", json=fields)
        return self._ref(str(created["id"]))

    def _find(self, reference: str) -> TicketRef | None:
        """The ticket an earlier, unanswered try opened: its subject starts with the reference."""
        query = f"Queue = '{self.queue}' AND Subject LIKE '[{reference}]'"
        found = self._rest("GET", "tickets", params={"query": query, "orderby": "id"})
        items = found.get("items") or []
        return self._ref(str(items[0]["id"])) if items else None

    def _ref(self, ticket_id: str) -> TicketRef:
        return TicketRef(ticket_id, f"{self.url}/Ticket/Display.html?id={ticket_id}")

    def update(self, ref: TicketRef, ticket: NewTicket, change: TicketChange) -> None:
        # Status and time worked are set, so a retry repeats them harmlessly; the comment last.
        fields: dict[str, Any] = {}
        if change.status is not None:
            fields["Status"] = RT_STATUS[change.status]
        if change.minutes is not None:
            fields["TimeWorked"] = change.minutes
        if fields:
            self._rest("PUT", f"ticket/{ref.id}", json=fields)
        self._rest(
            "POST",
            f"ticket/{ref.id}/comment",
            json={"Content": change.text, "ContentType": "text/plain"},
        )

    def check(self) -> str:
        try:
            queue = self._rest("GET", f"queue/{quote(self.queue, safe='')}")
        except TicketError as exc:
            if exc.status != 404:
                raise
            queue = None
        if not queue or "id" not in queue:
            raise TicketError(f"RT has no queue {self.queue!r} that this account can see")
        how = "a token" if self.token else f"user {self.user!r}"
        return f"RT at {self.url} took {how}; queue {self.queue!r} is id {queue['id']}"
