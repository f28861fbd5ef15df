"""Reading the call scripts in `voice_flows/`: each YAML file checked against the script's shape
and its texts' placeholders, and any mistake named by file and step."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.calls.script import Flow, FlowError, PageScript

# Which placeholders each text may use; anything else is a typo caught at start-up.
_PLACEHOLDERS: dict[str, set[str]] = {
    "reprompt": {"examples"},
    "staff_ticket": {"ticket"},
    "confirm": {"service", "number"},
    "confirm_reprompt": {"service"},
    "not_found": {"heard"},
    "kept_as_text": {"heard"},
    "offer_caller_id": {"number"},
    "invalid": {"digits"},
    "summary": {"service", "description", "started", "last_worked", "impact", "callback"},
    "reference": {"reference"},
    "after_hours": {"line"},
    "connecting": {"service"},
    "joining": {"line", "reference"},
    "calling_back": {"line", "reference"},
    "paged": {"time"},
    "connecting_next": {"service"},
    "whisper": {"service"},
    # The confirmation call (its `machine` shares the key with the page script's).
    "intro": {"reference", "priority", "service", "problem", "impact", "line"},
    "machine": {"reference", "line"},
    "helpdesk_transfer": {"line"},
    "business_hours": {"line"},
    "known": {"service", "reported_at", "reference", "status"},
    "added": {"reference"},
    "staff_added": {"reference"},
    "welcome": {"name"},
    "acknowledged": {"reference"},
    "escalated": {"reference"},
    "already": {"message"},
    "bridge_connecting": {"reference"},
    "bridge_machine": {"reference"},
}


def _check_placeholders(where: str, data: dict) -> None:
    for key, text in data.items():
        if not isinstance(text, str):
            continue
        allowed = _PLACEHOLDERS.get(key, set())
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise FlowError(f"{where}, {key}: {exc}") from None
        unknown = names - allowed
        if unknown:
            raise FlowError(
                f"{where}, {key}: unknown placeholder {{{sorted(unknown)[0]}}}"
                f" (allowed: {', '.join(sorted(allowed)) or 'none'})"
            )


def load_flow(path: Path) -> Flow | PageScript:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise FlowError(f"{path}: expected a mapping at the top level")
    listed = raw.get("steps")
    steps: list[Any] = listed if isinstance(listed, list) else []
    model: type[Flow | PageScript] = PageScript if raw.get("kind") == "page" else Flow
    try:
        flow = model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = list(error["loc"])
        where = str(path)
        if location[:1] == ["steps"] and len(location) > 1 and isinstance(location[1], int):
            index = location[1]
            step = steps[index] if index < len(steps) and isinstance(steps[index], dict) else {}
            where += f", step {step.get('id', index + 1)!s}"
            location = location[3:] if len(location) > 2 else []
        detail = ".".join(str(part) for part in location)
        raise FlowError(f"{where}{', ' + detail if detail else ''}: {error['msg']}") from None
    if isinstance(flow, PageScript):
        _check_placeholders(str(path), raw)
        return flow
    for step in steps:
        _check_placeholders(f"{path}, step {step.get('id')}", step)
    sections = (
        "messages",
        "greeting",
        "finish",
        "staff",
        "confirm_call",
        "joint_call",
        "returning",
    )
    for section in sections:
        _check_placeholders(f"{path}, {section}", raw.get(section) or {})
    return flow


def load_flows(directory: Path) -> dict[str, Flow | PageScript]:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FlowError(f"{directory}: no call scripts (*.yaml) found")
    flows: dict[str, Flow | PageScript] = {}
    for path in files:
        flow = load_flow(path)
        if flow.name in flows:
            raise FlowError(f"{path}: another file already defines the flow {flow.name!r}")
        flows[flow.name] = flow
    return flows
