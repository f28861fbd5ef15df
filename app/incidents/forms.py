"""A new incident typed in by a person (dashboard) or sent by a program (API): checked field by
field, so every mistake comes back with a message and nothing typed is lost."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import emails
from app.calls.script import MenuOption
from app.incidents.service import IncidentDraft
from app.models import Report, Service, Source
from app.models.base import length_of
from app.phones import CallbackPolicy, InvalidNumber, NotCallable

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _callback(number: str, policy: CallbackPolicy, errors: dict[str, str]) -> str | None:
    try:
        return policy.check(number)
    except NotCallable as exc:
        errors["callback_number"] = str(exc)
    except InvalidNumber:
        errors["callback_number"] = "a phone number with area code, like (319) 555-0142"
    return None


def _email(address: str, errors: dict[str, str]) -> str:
    if not address:
        return ""
    try:
        return emails.normalise(address)
    except emails.InvalidEmail as exc:
        errors["email"] = str(exc)
        return address


class IncidentFormError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def draft_from_form(
    session: Session,
    form: Mapping[str, Any],
    policy: CallbackPolicy,
    impacts: list[MenuOption],
    source: str,
) -> IncidentDraft:
    errors: dict[str, str] = {}

    def text(name: str, limit: int, lines: bool = False) -> str:
        value = form.get(name) or ""
        if not isinstance(value, str):
            errors[name] = "must be text"
            return ""
        if len(value) > limit:
            errors[name] = f"at most {limit} characters"
        if CONTROL.search(re.sub(r"[\r\n\t]", "", value) if lines else value):
            # A line break in a service name ends up in e-mail headers and one-line texts.
            errors[name] = "line breaks and control characters are not allowed here"
        return value.strip()

    slug = text("service", 64)
    service_text = text("service_text", length_of(Report.service_text))
    service = session.scalar(select(Service).where(Service.slug == slug)) if slug else None
    if slug and service is None:
        errors["service"] = f"no service {slug!r} in the catalog"
    if not slug and not service_text:
        errors["service"] = "choose a service, or describe it"
    description = text("description", 5000, lines=True)
    if len(description) < 3:
        errors["description"] = "say what is wrong"
    impact_value = text("impact", 32)
    impact = next((option for option in impacts if option.value == impact_value), None)
    if impact is None:
        # People choose from the labels they see; API clients send the values.
        errors["impact"] = (
            "choose how many people are affected"
            if source == Source.DASHBOARD
            else "one of: " + ", ".join(option.value for option in impacts)
        )
    started = text("started", length_of(Report.started_text))
    last_worked = text("last_worked", length_of(Report.last_worked_text))
    responsible = text("responsible_party", length_of(Report.responsible_party))
    email = _email(text("email", length_of(Report.email)), errors)
    callback = _callback(text("callback_number", 40), policy, errors)
    if errors:
        raise IncidentFormError(errors)
    assert impact is not None
    return IncidentDraft(
        source=source,
        service_id=service.id if service else None,
        service_text=service_text or (service.name if service else ""),
        description=description,
        started_text=started,
        last_worked_text=last_worked,
        responsible_party=responsible,
        email=email,
        email_confirmed=bool(email),
        impact=impact.value,
        impact_label=impact.label,
        priority=impact.priority,
        callback_number=callback,
        caller_number=callback,
        text_caller=True,
    )
