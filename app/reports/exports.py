"""The monthly report as files and pictures: CSV of incidents and of summaries (hours per
customer, for billing), and the 60-minute chart's geometry (a log axis, one row per incident)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.clock import local
from app.reports.monthly import (
    GOAL_MINUTES,
    Line,
    MonthlyReport,
    call_minutes,
    first_acknowledged,
)

WHEN = "%Y-%m-%d %H:%M"


def _cell(value: object) -> str:
    """A spreadsheet opens a cell starting with = + - @ as a formula: such text is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(header: list[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def incidents_csv(report: MonthlyReport, zone: ZoneInfo) -> str:
    def when(moment: dt.datetime | None) -> str:
        return local(moment, zone, WHEN) if moment else ""

    ack = {m.incident.id: m.minutes for m in report.acknowledge.measured}
    contact = {m.incident.id: m.minutes for m in report.contact.measured}
    rows = []
    for i in report.incidents:
        summary = i.summary if i.summary and i.summary.submitted_at else None
        rows.append(
            [
                i.reference,
                when(i.created_at),
                report.customer(i),
                i.service_name,
                "yes" if i.priority_customer else "no",
                f"P{i.priority}",
                i.state.value,
                i.source,
                len(i.reports),
                when(first_acknowledged(i)),
                _minutes(ack.get(i.id)),
                when(i.first_contact_at),
                _minutes(contact.get(i.id)),
                "yes" if i.reopened else "no",
                when(i.resolved_at),
                when(i.closed_at),
                summary.minutes if summary else "",
                call_minutes(i),
                i.ticket_id,
            ]
        )
    header = [
        "reference", "opened", "customer", "service", "cas", "priority", "state", "source",
        "callers", "acknowledged", "minutes_to_acknowledge", "first_contact",
        "minutes_to_contact", "reopened", "resolved", "closed", "minutes_worked",
        "call_minutes", "ticket",
    ]  # fmt: skip
    return _csv(header, rows)


def summaries_csv(report: MonthlyReport, zone: ZoneInfo) -> str:
    rows = []
    for i in report.incidents:
        summary = i.summary
        if summary is None or summary.submitted_at is None:
            continue
        minutes = summary.minutes or 0
        rows.append(
            [
                i.reference,
                report.customer(i),
                i.service_name,
                "yes" if i.priority_customer else "no",
                summary.responder.name,
                local(summary.submitted_at, zone, WHEN),
                minutes,
                f"{minutes / 60:.2f}",
                summary.work,
            ]
        )
    header = [
        "reference", "customer", "service", "cas", "responder", "submitted", "minutes",
        "hours", "work",
    ]  # fmt: skip
    return _csv(header, rows)


def customers_csv(report: MonthlyReport, _zone: ZoneInfo) -> str:
    """Hours per customer, for billing: one row per customer with the month's totals (the
    hours from the submitted work summaries), CAS customers first."""
    totals: dict[str, Line] = {}
    for line in report.lines:
        total = totals.setdefault(line.customer, Line(line.customer, "", cas=line.cas))
        total.cas = total.cas or line.cas
        total.incidents += line.incidents
        total.callers += line.callers
        total.minutes_worked += line.minutes_worked
        total.call_minutes += line.call_minutes
    rows = [
        [
            t.customer,
            "yes" if t.cas else "no",
            t.incidents,
            t.callers,
            t.minutes_worked,
            f"{t.minutes_worked / 60:.2f}",
            t.call_minutes,
        ]
        for t in sorted(totals.values(), key=lambda t: (not t.cas, t.customer))
    ]
    header = [
        "customer", "cas", "incidents", "callers", "minutes_worked", "hours_worked",
        "call_minutes",
    ]  # fmt: skip
    return _csv(header, rows)


# The chart: minutes on a log axis from 1 minute to 24 hours; longer, or never, at the edge.
AXIS_MIN, AXIS_MAX = 1.0, 24 * 60.0
TICKS = (1, 5, 15, 60, 240, 1440)


@dataclass(frozen=True)
class ChartRow:
    reference: str
    label: str
    label_y: float
    y: float
    ack_x: float | None  # None: not acknowledged yet, and the 60 minutes are not up
    contact_x: float | None
    ack_minutes: float | None
    contact_minutes: float | None
    missed: bool
    reopened: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    goal_x: float
    ticks: list[tuple[float, str]]
    rows: list[ChartRow]
    edge_x: float


# A label above its row has the chart's whole width: a service's name is cut only past this.
LABEL_CHARACTERS = 44


def chart(report: MonthlyReport, width: int = 420, row_height: int = 46) -> Chart:
    """Sized for a phone (the SVG scales up on a desk): each row's label sits on a line of its
    own above its points, in 15-unit type that a 412 px phone shows at about 14 px."""
    left, right, top = 12, width - 14, 26

    def x(minutes: float | None) -> float:
        if minutes is None or minutes >= AXIS_MAX:
            return right
        share = (math.log10(max(minutes, AXIS_MIN)) - math.log10(AXIS_MIN)) / (
            math.log10(AXIS_MAX) - math.log10(AXIS_MIN)
        )
        return round(left + share * (right - left - 12), 1)

    contact = {m.incident.id: m.minutes for m in report.contact.measured}
    rows = []
    for n, measured in enumerate(report.acknowledge.measured):
        incident = measured.incident
        reached = contact.get(incident.id)
        label = f"{incident.reference} {incident.service_name}"
        if len(label) > LABEL_CHARACTERS:
            label = label[: LABEL_CHARACTERS - 1].rstrip() + "…"
        row_top = top + n * row_height
        rows.append(
            ChartRow(
                reference=incident.reference,
                label=label,
                label_y=row_top + 17,
                y=row_top + 33,
                ack_x=None if measured.waiting else x(measured.minutes),
                contact_x=x(reached) if reached is not None else None,
                ack_minutes=measured.minutes,
                contact_minutes=reached,
                missed=measured.missed,
                reopened=incident.reopened,
            )
        )
    labels = {1: "1 min", 5: "5", 15: "15", 60: "1 h", 240: "4 h", 1440: "24 h+"}
    return Chart(
        width=width,
        height=top + max(len(rows), 1) * row_height + 8,
        left=left,
        right=right,
        goal_x=x(GOAL_MINUTES),
        ticks=[(x(t), labels[t]) for t in TICKS],
        rows=rows,
        edge_x=right,
    )
