"""Each kind's retry policy: how long to wait before each retry, and when to give up (park).
The shipped ones are below; OUTBOX_RETRY overrides any of them by the kind's name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat

MESSAGES, MAIL, TICKETS, CALLERS_NEWS = "messages", "mail", "tickets", "callers-news"


class RetryPolicy(BaseModel):
    """Seconds to wait before each retry (the last one repeats), and how many tries a row gets
    before it is parked; `park_after: null` tries for as long as it takes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delays: tuple[NonNegativeFloat, ...] = Field(min_length=1)
    park_after: int | None = Field(default=None, ge=1)

    def delay(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=self.delays[min(max(attempts, 1), len(self.delays)) - 1])

    def parks(self, attempts: int) -> bool:
        return self.park_after is not None and attempts >= self.park_after


DEFAULT_POLICIES: Mapping[str, RetryPolicy] = {
    # A gateway outage is not a recipient's fault: messages are retried for as long as it takes
    # (a recipient's own refusal fails over at once instead: paging/outcomes).
    MESSAGES: RetryPolicy(delays=(5, 15, 45, 120, 300)),
    MAIL: RetryPolicy(delays=(30, 120, 600, 1800, 3600), park_after=6),
    # An incident's later updates wait behind a failing one: never parked, hourly at last.
    TICKETS: RetryPolicy(delays=(15, 30, 60, 120, 300, 600, 1800, 3600)),
    # News that keeps failing is a poisoned row, not an outage: set aside, the rest go on.
    CALLERS_NEWS: RetryPolicy(delays=(5, 30), park_after=3),
}


def policies(overrides: Mapping[str, RetryPolicy]) -> dict[str, RetryPolicy]:
    """The shipped policies with `overrides` (from OUTBOX_RETRY) in place."""
    unknown = set(overrides) - set(DEFAULT_POLICIES)
    if unknown:
        raise ValueError(
            f"no outbox kind named {', '.join(sorted(unknown))} "
            f"(the kinds: {', '.join(DEFAULT_POLICIES)})"
        )
    return {**DEFAULT_POLICIES, **overrides}
