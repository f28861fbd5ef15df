"""The monthly report a team lead passes on: after-hours work by customer and service, hours
from the work summaries, minutes on the phone with customers, and time to acknowledge and to
first contact against the 60-minute goal. Reopened incidents are counted as reopened, and their
goal is measured from the first acknowledgement, not the last."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.incidents.service import GOAL
from app.incidents.summaries import first_acknowledged, joint_call_minutes
from app.models import CLOSED_IN_TICKET, Incident, IncidentState, PriorityContact


def month_bounds(month: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The month from midnight on the 1st to midnight on the next 1st, in the team's zone."""
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=zone)


def minutes_between(start: dt.datetime, end: dt.datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 60


@dataclass(frozen=True)
class Measured:
    incident: Incident
    minutes: float | None  # None: it has not happened
    # Not happened yet, and the 60 minutes are not up: neither met nor missed so far.
    waiting: bool = False

    @property
    def missed(self) -> bool:
        if self.minutes is None:
            return not self.waiting
        return self.minutes > GOAL_MINUTES


@dataclass(frozen=True)
class Goal:
    """One measure (to acknowledge, or to first contact) over the month's incidents."""

    measured: list[Measured]

    @property
    def times(self) -> list[float]:
        return sorted(m.minutes for m in self.measured if m.minutes is not None)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def p90(self) -> float | None:
        times = self.times
        if len(times) < 2:
            return times[0] if times else None
        return statistics.quantiles(times, n=10, method="inclusive")[-1]

    @property
    def met(self) -> int:
        return sum(1 for m in self.measured if m.minutes is not None and m.minutes <= GOAL_MINUTES)

    @property
    def met_then_reopened(self) -> int:
        """Of those that met the goal, how many the caller reopened later."""
        return sum(
            1
            for m in self.measured
            if m.minutes is not None and m.minutes <= GOAL_MINUTES and m.incident.reopened
        )

    @property
    def misses(self) -> list[Measured]:
        return [m for m in self.measured if m.missed]

    @property
    def waiting(self) -> list[Measured]:
        return [m for m in self.measured if m.waiting]


def _measured(incident: Incident, at: dt.datetime | None, now: dt.datetime) -> Measured:
    """Minutes from the report to `at`; an incident still inside its 60 minutes (and not
    cancelled or closed) is waiting, not a miss."""
    minutes = minutes_between(incident.created_at, at)
    waiting = (
        minutes is None
        and incident.state in (IncidentState.OPEN, IncidentState.ACKNOWLEDGED)
        and now - incident.created_at <= GOAL
    )
    return Measured(incident, minutes, waiting)


GOAL_MINUTES = GOAL.total_seconds() / 60


@dataclass
class Line:
    """One customer and service: what the month held for it."""

    customer: str
    service: str
    cas: bool
    incidents: int = 0
    callers: int = 0
    minutes_worked: int = 0
    call_minutes: int = 0
    reopened: int = 0


@dataclass
class MonthlyReport:
    month: dt.date
    incidents: list[Incident]
    cancelled: int
    lines: list[Line] = field(default_factory=list)
    acknowledge: Goal = field(default_factory=lambda: Goal([]))
    contact: Goal = field(default_factory=lambda: Goal([]))
    # Each incident's customer: the catalog's for its service, else the CAS customer whose
    # number called (the catalog's priority contacts).
    customers: dict[int, str] = field(default_factory=dict)

    def customer(self, incident: Incident) -> str:
        return self.customers.get(incident.id, "")

    @property
    def closed_unconfirmed(self) -> list[Incident]:
        """Closed without the caller's word: by CLOSE ... NOREPLY, or in the ticketing system."""
        return [i for i in self.incidents if i.closed_unconfirmed]

    @property
    def closed_in_ticketing(self) -> int:
        return sum(i.confirmed_via == CLOSED_IN_TICKET for i in self.closed_unconfirmed)

    @property
    def reopened(self) -> list[Incident]:
        return [i for i in self.incidents if i.reopened]

    @property
    def minutes_worked(self) -> int:
        return sum(line.minutes_worked for line in self.lines)

    @property
    def call_minutes(self) -> int:
        return sum(line.call_minutes for line in self.lines)

    @property
    def callers(self) -> int:
        return sum(line.callers for line in self.lines)


def call_minutes(incident: Incident) -> int:
    """Minutes on the phone with the customer through the line: call-backs and joint calls."""
    talk = sum(callback.talk_seconds for callback in incident.callbacks)
    return talk // 60 + joint_call_minutes(incident)


def incidents_in(session: Session, month: dt.date, zone: ZoneInfo) -> list[Incident]:
    start, end = month_bounds(month, zone)
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.created_at >= start, Incident.created_at < end)
            .order_by(Incident.id)
            .options(
                selectinload(Incident.service),
                selectinload(Incident.reports),
                selectinload(Incident.events),
                selectinload(Incident.summary),
                selectinload(Incident.callbacks),
                selectinload(Incident.joint_call_legs),
                selectinload(Incident.owner),
            )
        )
    )


def _customers(session: Session, incidents: list[Incident]) -> dict[int, str]:
    by_number = {
        number: customer
        for number, customer in session.execute(
            select(PriorityContact.number, PriorityContact.customer)
        )
    }
    found = {}
    for incident in incidents:
        numbers = [r.caller_number for r in incident.reports] + [incident.caller_number]
        found[incident.id] = (incident.service.customer if incident.service else "") or next(
            (by_number[n] for n in numbers if n in by_number), ""
        )
    return found


def monthly(session: Session, month: dt.date, zone: ZoneInfo, now: dt.datetime) -> MonthlyReport:
    every = incidents_in(session, month, zone)
    counted = [i for i in every if i.state != IncidentState.CANCELLED]
    customers = _customers(session, counted)
    lines: dict[tuple[str, str], Line] = {}
    for incident in counted:
        key = (customers[incident.id] or "—", incident.service_name)
        line = lines.setdefault(
            key,
            Line(key[0], key[1], cas=bool(incident.service and incident.service.priority_customer)),
        )
        line.cas = line.cas or incident.priority_customer
        line.incidents += 1
        line.callers += incident.callers
        summary = incident.summary
        if summary is not None and summary.submitted_at is not None:
            line.minutes_worked += summary.minutes or 0
        line.call_minutes += call_minutes(incident)
        line.reopened += incident.reopened
    return MonthlyReport(
        month=month,
        incidents=counted,
        cancelled=len(every) - len(counted),
        # CAS customers first, then by customer and service.
        lines=sorted(lines.values(), key=lambda line: (not line.cas, line.customer, line.service)),
        acknowledge=Goal([_measured(i, first_acknowledged(i), now) for i in counted]),
        contact=Goal([_measured(i, i.first_contact_at, now) for i in counted]),
        customers=customers,
    )
