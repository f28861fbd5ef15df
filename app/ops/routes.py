from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.calls import spool
from app.context import clock, settings
from app.db import get_db
from app.ops import health
from app.outbox import health as outbox_health
from app.outbox.kinds import GATEWAY, TICKETING
from app.web.auth import current_user

bp = Blueprint("ops", __name__)

ACK_BUCKETS = (60, 300, 900, 1800, 3600, 5400, 7200)


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers. Nothing else is checked, so a busy database never kills it."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    session = get_db().session
    now = clock().now()
    database = health.database_ok(session)
    limit = dt.timedelta(seconds=settings().WORKER_STALE_SECONDS)
    beat_at = health.last_beat(session) if database else None
    worker = database and not health.is_stale(beat_at, now, limit)
    # The fallback voicemail must be writable for the day the database is not.
    spool_problem = spool.check(Path(settings().VOICEMAIL_SPOOL_DIR))
    gateway_problem = outbox_health.problem(session, now, GATEWAY) if database else None
    tickets_problem = outbox_health.problem(session, now, TICKETING) if database else None
    status = "ok" if not (spool_problem or gateway_problem or tickets_problem) else "degraded"
    # What an outside system answered (a host name, an account, a path) is for the team and its
    # monitoring; anyone else learns only that something fails.
    insider = current_user() is not None or _bearer_is(settings().METRICS_TOKEN)

    def said(problem: str | None) -> str:
        return "ok" if not problem else problem if insider else "failing"

    response = jsonify(
        status=status if database and worker else "unavailable",
        database="ok" if database else "unreachable",
        worker="ok" if worker else "no recent heartbeat",
        heartbeat_age_seconds=(now - beat_at).total_seconds() if beat_at else None,
        spool=said(spool_problem),
        gateway=said(gateway_problem),
        tickets=said(tickets_problem),
    )
    response.status_code = 200 if database and worker else 503
    return response


class _DatabaseCollector:
    """Reads the numbers at scrape time, so every web process reports the same truth."""

    def __init__(self, counts: health.Counts) -> None:
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        n = self.counts
        calls = CounterMetricFamily(
            "afterhours_calls", "Inbound calls by outcome", labels=["status"]
        )
        for status, count in n.calls.items():
            calls.add_metric([status], count)
        yield calls
        incidents = GaugeMetricFamily(
            "afterhours_incidents", "Incidents by state", labels=["state"]
        )
        for state, count in n.incidents.items():
            incidents.add_metric([state], count)
        yield incidents
        pages = GaugeMetricFamily(
            "afterhours_pages", "Pages by channel and status", labels=["channel", "status"]
        )
        for channel, status, count in n.pages:
            pages.add_metric([channel, status], count)
        yield pages
        buckets = [(str(edge), sum(1 for s in n.ack_seconds if s <= edge)) for edge in ACK_BUCKETS]
        yield HistogramMetricFamily(
            "afterhours_time_to_acknowledge_seconds",
            "From opening to acknowledgement",
            buckets=[*buckets, ("+Inf", len(n.ack_seconds))],
            sum_value=sum(n.ack_seconds),
        )
        yield CounterMetricFamily(
            "afterhours_escalations", "Incidents escalated past the primary", value=n.escalated
        )
        yield GaugeMetricFamily(
            "afterhours_worker_lag_seconds", "Age of the oldest page due and unsent", n.lag_seconds
        )
        yield from _outbox_metrics(n)
        age = n.heartbeat_age_seconds
        yield GaugeMetricFamily(
            "afterhours_worker_heartbeat_age_seconds",
            "Seconds since a worker last finished a pass",
            value=age if age is not None else float("nan"),
        )


def _outbox_metrics(n: health.Counts) -> Iterator[Metric]:
    """One set for every kind of the outbox, and one gauge for every outside system."""
    families = [
        ("waiting", "Rows of the outbox queued or being sent, by kind"),
        ("parked", "Rows of the outbox set aside after their tries (see the worker's log)"),
        ("due_seconds", "How long the oldest due row of each kind has waited"),
    ]
    for name, doc in families:
        family = GaugeMetricFamily(f"afterhours_outbox_{name}", doc, labels=["kind"])
        for kind, counts in n.outbox.items():
            family.add_metric([kind], getattr(counts, name))
        yield family
    failing = GaugeMetricFamily(
        "afterhours_outbox_failing_seconds",
        "How long every try at an outside system has failed (0 while it answers)",
        labels=["system"],
    )
    for system, seconds in n.failing_seconds.items():
        failing.add_metric([system], seconds)
    yield failing


def _bearer_is(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.encode(), expected.encode())
    )


@bp.get("/metrics")
def metrics() -> Response:
    # The numbers say how many incidents and pages there are: for the monitoring system only.
    expected = settings().METRICS_TOKEN
    if not expected:
        return Response("metrics are off: set METRICS_TOKEN", status=404, mimetype="text/plain")
    if not _bearer_is(expected):
        return Response(
            "send Authorization: Bearer <METRICS_TOKEN>",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector(health.counts(get_db().session, clock().now())))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
