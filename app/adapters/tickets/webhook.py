"""Anything else: one signed JSON POST per event (docs/deployment.md documents the scheme)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests

from app.adapters.tickets.http import call
from app.tickets import signing
from app.tickets.backend import TicketRef
from app.tickets.content import NewTicket, TicketChange

EVENT_HEADER = "X-Afterhours-Event"
DELIVERY_HEADER = "X-Afterhours-Delivery"


@dataclass
class Webhook:
    url: str
    secret: str
    timeout: float = 10
    name: str = "webhook"
    _http: requests.Session = field(default_factory=requests.Session, repr=False)

    def _post(self, event: str, delivery: str, payload: dict[str, Any]) -> requests.Response:
        body = json.dumps({"event": event, "delivery": delivery, **payload}).encode()
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(self.secret, body),
            EVENT_HEADER: event,
            # The same delivery id on a retry: a receiver that has seen it drops it.
            DELIVERY_HEADER: delivery,
        }
        return call(
            self._http, "The webhook", "POST", self.url, self.timeout, data=body, headers=headers
        )

    def create(self, ticket: NewTicket, retried: bool) -> TicketRef:
        response = self._post(
            "opened",
            f"{ticket.reference}-opened",
            {
                "reference": ticket.reference,
                "subject": ticket.subject,
                "description": ticket.body,
                "priority": ticket.priority,
                "service": ticket.service,
                "requestor_email": ticket.requestor_email,
                "link": ticket.link,
            },
        )
        # A receiver that opens a ticket may answer with its id and link.
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            return TicketRef(str(answer.get("id") or ""), str(answer.get("url") or ""))
        return TicketRef()

    def update(self, ref: TicketRef, ticket: NewTicket, change: TicketChange) -> None:
        self._post(
            change.kind.value,
            str(change.id),
            {
                "reference": ticket.reference,
                "ticket": ref.id,
                "at": change.at.isoformat(),
                "text": change.text,
                "status": change.status.value if change.status else None,
                "minutes_worked": change.minutes,
            },
        )

    def check(self) -> str:
        self._post("check", "check", {})
        return f"the webhook at {self.url} took a signed test event"
