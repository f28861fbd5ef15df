"""Pages that leave the moment they are due. On PostgreSQL a trigger NOTIFYs the worker when a
notification is queued, and the worker LISTENs between passes instead of sleeping out its poll
interval; the page reaches the gateway as soon as the queueing transaction commits. Polling
stays as the fallback (a lost connection, a missed notification) and is all SQLite has."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import psycopg
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.models import Incident, Notification, OutboxStatus

log = logging.getLogger(__name__)

# The trigger on `notifications` (migrations 0013 and 0014) NOTIFYs this channel for every
# queued one, and PAGE_CHANNEL as well when a page, a put-through call or a joint-call leg is.
CHANNEL = "afterhours_due"
PAGE_CHANNEL = "afterhours_page"
# How often a waiting worker looks up to see whether it has been asked to stop.
STOP_CHECK = 0.5


def seconds_to_next(session: Session, now: dt.datetime, poll_seconds: float) -> float:
    """How long an idle worker may wait: its poll interval, or less when an escalation step or a
    queued message falls due sooner, so a timed step leaves at its time, not up to a poll
    later. One statement (two indexed MINs)."""
    step = select(func.min(Incident.next_escalation_at)).where(Incident.next_escalation_at > now)
    queued = select(func.min(Notification.due_at)).where(
        Notification.status == OutboxStatus.QUEUED, Notification.due_at > now
    )
    row = session.execute(select(step.scalar_subquery(), queued.scalar_subquery())).one()
    session.commit()
    soonest = min((moment for moment in row if moment is not None), default=None)
    if soonest is None:
        return poll_seconds
    if soonest.tzinfo is None:  # SQLite hands back naive UTC
        soonest = soonest.replace(tzinfo=dt.UTC)
    return max(0.0, min(poll_seconds, (soonest - now).total_seconds()))


class Waiter:
    """The worker's pause between idle passes: woken by a NOTIFY on PostgreSQL, a plain wait
    (still cut short by a stop) everywhere else or while the listening connection is down."""

    def __init__(
        self,
        engine: Engine,
        stopping: threading.Event,
        listen: bool = True,
        channel: str = CHANNEL,
    ) -> None:
        self.stopping = stopping
        self.channel = channel
        self.listening = listen and engine.dialect.name == "postgresql"
        self.conninfo = (
            engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            if self.listening
            else ""
        )
        self._connection: psycopg.Connection | None = None

    def start(self) -> None:
        """LISTEN before the first pass: a page queued while a pass runs is then held by the
        connection and wakes the very next wait, never lost between the pass and the wait."""
        if self.listening:
            try:
                self._listen()
            except psycopg.Error as exc:
                log.warning("worker: cannot listen for due pages (%s); polling meanwhile", exc)
                self.close()

    def wait(self, seconds: float) -> bool:
        """Up to `seconds`; True when a notification cut the wait short. A stop is noticed
        within STOP_CHECK either way."""
        if not self.listening:
            self.stopping.wait(seconds)
            return False
        deadline = time.monotonic() + seconds
        try:
            connection = self._listen()
            while not self.stopping.is_set() and (left := deadline - time.monotonic()) > 0:
                for _notification in connection.notifies(
                    timeout=min(left, STOP_CHECK), stop_after=1
                ):
                    return True
            return False
        except psycopg.Error as exc:
            log.warning("worker: listening for due pages failed (%s); polling meanwhile", exc)
            self.close()
            self.stopping.wait(max(deadline - time.monotonic(), 0))
            return False

    def _listen(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.conninfo, autocommit=True)
            self._connection.execute(f"LISTEN {self.channel}")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
