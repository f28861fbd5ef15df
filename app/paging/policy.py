"""Escalation policies: their shape (as written in the roster file), the chain used when a team
has written none, and saving one."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.durations import parse_duration
from app.models import EscalationPolicy, EscalationStep
from app.yaml_files import Strict

# `primary_admin` / `backup_admin`: the administrators the catalog names for the incident's
# service (the on-call primary when the service names none).
Target = Annotated[
    str,
    Field(
        pattern=r"^(primary|secondary|team_lead|director|primary_admin|backup_admin|responder:.+)$"
    ),
]


class StepEntry(Strict):
    after: str | int
    notify: list[Target] = Field(min_length=1)
    by: list[Literal["sms", "voice"]] | Literal["sms", "voice"] = "sms"
    escalate: bool = False

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value

    @property
    def channels(self) -> list[str]:
        return [self.by] if isinstance(self.by, str) else list(self.by)


class PolicyEntry(Strict):
    name: str
    priority: int | None = Field(None, ge=1, le=4)
    repeat: int = Field(0, ge=0, le=10)
    repeat_after: str = "30m"
    steps: list[StepEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> PolicyEntry:
        waits = [parse_duration(step.after) for step in self.steps]
        if waits != sorted(waits):
            raise ValueError("steps must be in order of their `after`")
        parse_duration(self.repeat_after)
        return self


DEFAULT_POLICY = PolicyEntry(
    name="default",
    steps=[
        StepEntry(after="0m", notify=["primary"], by="sms"),
        StepEntry(after="15m", notify=["primary"], by="sms"),
        StepEntry(after="30m", notify=["primary"], by="voice"),
        StepEntry(
            after="60m", notify=["secondary", "team_lead"], by=["sms", "voice"], escalate=True
        ),
        StepEntry(after="90m", notify=["director"], by=["sms", "voice"]),
    ],
)


# Business hours: the service's own administrator first, then the team lead, then the director.
# A roster may write its own policy named `business_hours`.
BUSINESS_HOURS_POLICY = PolicyEntry(
    name="business_hours",
    steps=[
        StepEntry(after="0m", notify=["primary_admin"], by="sms"),
        StepEntry(after="30m", notify=["team_lead"], by=["sms", "voice"]),
        StepEntry(after="60m", notify=["director"], by=["sms", "voice"]),
    ],
)


def save_policy(session: Session, entry: PolicyEntry) -> EscalationPolicy:
    policy = session.scalar(select(EscalationPolicy).where(EscalationPolicy.name == entry.name))
    if policy is None:
        policy = EscalationPolicy(name=entry.name)
        session.add(policy)
    if entry.priority is not None:
        # The priority moves to this policy; the unique index allows one policy per priority.
        session.execute(
            update(EscalationPolicy)
            .where(EscalationPolicy.priority == entry.priority, EscalationPolicy.name != entry.name)
            .values(priority=None)
        )
        session.flush()
    policy.priority = entry.priority
    policy.repeat = entry.repeat
    policy.repeat_after_seconds = parse_duration(entry.repeat_after)
    policy.steps = [
        EscalationStep(
            position=i,
            after_seconds=parse_duration(step.after),
            targets=list(step.notify),
            channels=step.channels,
            marks_escalated=step.escalate,
        )
        for i, step in enumerate(entry.steps)
    ]
    return policy
