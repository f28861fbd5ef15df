"""ServiceNow through the Table API (`/api/now/table/incident`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from app.adapters.tickets.http import call, signed_in
from app.tickets.backend import TicketError, TicketRef
from app.tickets.content import NewTicket, TicketChange, TicketStatus

TABLE = "api/now/table/incident"
# The incident table's states (the platform's defaults).
IN_PROGRESS, RESOLVED, CLOSED, CANCELED = "2", "6", "7", "8"
# ServiceNow works out the priority from impact and urgency (1 high, 3 low): these pairs give
# back P1 critical, P2 high, P3 moderate and P4 low.
IMPACT_URGENCY = {1: ("1", "1"), 2: ("1", "2"), 3: ("2", "2"), 4: ("2", "3")}


def duration(minutes: int) -> str:
    """A duration field's value: a time after the epoch."""
    hours, rest = divmod(minutes, 60)
    return f"1970-01-01 {hours:02d}:{rest:02d}:00"


@dataclass
class ServiceNow:
    url: str
    user: str = ""
    password: str = ""
    token: str = ""
    assignment_group: str = ""
    # A sys_user (sys_id or user name) that stands for callers of the line; the caller's own
    # number and address are in the description.
    caller: str = ""
    timeout: float = 10
    name: str = "servicenow"
    _http: requests.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self._http = signed_in("Bearer", self.token, self.user, self.password)

    def _table(self, method: str, path: str, **kwargs: Any) -> Any:
        response = call(
            self._http, "ServiceNow", method, f"{self.url}/{path}", self.timeout, **kwargs
        )
        return response.json().get("result") if response.content else None

    def _lookup(self, query: str) -> dict[str, str] | None:
        found = self._table(
            "GET",
            TABLE,
            params={"sysparm_query": query, "sysparm_fields": "sys_id,number", "sysparm_limit": 1},
        )
        return found[0] if found else None

    def create(self, ticket: NewTicket, retried: bool) -> TicketRef:
        # The reference is the correlation id: an unanswered earlier try is found by it.
        if retried:
            found = self._lookup(f"correlation_id={ticket.reference}")
            if found is not None:
                return self._ref(found)
        impact, urgency = IMPACT_URGENCY.get(ticket.priority, ("3", "3"))
        fields = {
            "short_description": ticket.subject,
            "description": ticket.body,
            "impact": impact,
            "urgency": urgency,
            "correlation_id": ticket.reference,
            "contact_type": "phone",
        }
        if self.assignment_group:
            fields["assignment_group"] = self.assignment_group
        if self.caller:
            fields["caller_id"] = self.caller
        return self._ref(self._table("POST", TABLE, json=fields))

    def _ref(self, record: dict[str, str]) -> TicketRef:
        return TicketRef(
            record["number"], f"{self.url}/nav_to.do?uri=incident.do?sys_id={record['sys_id']}"
        )

    def update(self, ref: TicketRef, ticket: NewTicket, change: TicketChange) -> None:
        found = self._lookup(f"number={ref.id}")
        if found is None:
            raise TicketError(f"ServiceNow has no incident {ref.id}")
        fields: dict[str, str] = {"work_notes": change.text}
        if change.status == TicketStatus.OPEN:
            fields["state"] = IN_PROGRESS
        elif change.status == TicketStatus.RESOLVED:
            fields.update(
                state=RESOLVED, close_code="Solved (Permanently)", close_notes=change.text
            )
        elif change.status == TicketStatus.CLOSED:
            fields["state"] = CLOSED
        elif change.status == TicketStatus.CANCELLED:
            fields.update(state=CANCELED, close_notes=change.text)
        if change.minutes is not None:
            fields["time_worked"] = duration(change.minutes)
        self._table("PATCH", f"{TABLE}/{found['sys_id']}", json=fields)

    def check(self) -> str:
        self._table("GET", TABLE, params={"sysparm_limit": 1, "sysparm_fields": "sys_id"})
        if self.assignment_group:
            group_name = self.assignment_group
            group = self._table(
                "GET",
                "api/now/table/sys_user_group",
                params={
                    "sysparm_query": f"name={group_name}^ORsys_id={group_name}",
                    "sysparm_fields": "sys_id,name",
                    "sysparm_limit": 1,
                },
            )
            if not group:
                raise TicketError(f"ServiceNow has no assignment group {self.assignment_group!r}")
        return f"ServiceNow at {self.url} took the credentials; the incident table answers"
