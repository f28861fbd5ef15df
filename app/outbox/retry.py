"""A try that failed: the row is queued again after its kind's delay, or parked."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from app.models import OutboxRow, OutboxStatus
from app.outbox.policy import RetryPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retried:
    parked: bool
    delay: dt.timedelta


def again_later(
    row: OutboxRow, now: dt.datetime, error: str, policy: RetryPolicy, what: str
) -> Retried:
    """This try of `row` failed with `error`: queue it again after the policy's delay, or park
    it when it has had its tries. `what` names the row in the log."""
    row.last_error = error[:500]
    row.claim_token = None
    if policy.parks(row.attempts):
        row.status = OutboxStatus.PARKED
        log.error("%s parked after %d tries: %s", what, row.attempts, error)
        return Retried(parked=True, delay=dt.timedelta(0))
    delay = policy.delay(row.attempts)
    row.status = OutboxStatus.QUEUED
    row.due_at = now + delay
    log.warning(
        "%s failed (%s); try %d again in %d s", what, error, row.attempts + 1, delay.total_seconds()
    )
    return Retried(parked=False, delay=delay)
