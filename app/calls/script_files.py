"""Reading the call scripts in `voice_flows/`: each YAML file checked against the script's shape
and its texts' placeholders, and any mistake named by file and step."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.calls.script import Flow, FlowError, MenuStep, PageScript

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


def key(flow: Flow | PageScript) -> str:
    """A page script by its name; a caller's script by name and language (`caller.es`)."""
    return f"{flow.name}.{flow.code}" if isinstance(flow, Flow) else flow.name


def load_flows(directory: Path) -> dict[str, Flow | PageScript]:
    """Every script in `directory`, keyed by `key`; the languages of one caller's script are
    checked to have the same shape (`same_shape`)."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FlowError(f"{directory}: no call scripts (*.yaml) found")
    flows: dict[str, Flow | PageScript] = {}
    for path in files:
        flow = load_flow(path)
        if key(flow) in flows:
            raise FlowError(f"{path}: another file already defines the flow {key(flow)!r}")
        flows[key(flow)] = flow
    for name in {flow.name for flow in flows.values() if isinstance(flow, Flow)}:
        same_shape(languages_of(flows, name))
    return flows


def languages_of(flows: dict[str, Flow | PageScript], name: str) -> dict[str, Flow]:
    """One caller's script in each language it is written in, by language code."""
    return {f.code: f for f in flows.values() if isinstance(f, Flow) and f.name == name}


def same_shape(by_language: dict[str, Flow]) -> None:
    """The languages of one script ask the same questions: the same steps in the same order,
    each of the same kind and field, with the same menu keys and values, and every text with
    the same placeholders. A difference is named by language, step and text."""
    if len(by_language) < 2:
        return
    (first_code, first), *others = sorted(by_language.items())
    for code, flow in others:
        where = f"{flow.name} ({code} against {first_code})"
        if [s.id for s in flow.steps] != [s.id for s in first.steps]:
            raise FlowError(f"{where}: the steps differ: {_ids(flow)} against {_ids(first)}")
        for step, theirs in zip(flow.steps, first.steps, strict=True):
            if (type(step), getattr(step, "field", None)) != (
                type(theirs),
                getattr(theirs, "field", None),
            ):
                raise FlowError(f"{where}, step {step.id}: a different kind of step")
            if isinstance(step, MenuStep) and isinstance(theirs, MenuStep):
                keys = [(o.key, o.value, o.priority) for o in step.options]
                if keys != [(o.key, o.value, o.priority) for o in theirs.options]:
                    raise FlowError(f"{where}, step {step.id}: the options differ")
        mine, reference = _placeholders(flow), _placeholders(first)
        for text in sorted(set(mine) | set(reference)):
            if mine.get(text) != reference.get(text):
                raise FlowError(
                    f"{where}, {text}: placeholders {sorted(mine.get(text, ()))} against "
                    f"{sorted(reference.get(text, ()))}"
                )


def _ids(flow: Flow) -> str:
    return ", ".join(step.id for step in flow.steps)


def _placeholders(flow: Flow) -> dict[str, set[str]]:
    """Every text of the script that has placeholders, by where it is, with those it uses."""
    found: dict[str, set[str]] = {}

    def walk(where: str, value: object) -> None:
        if isinstance(value, str):
            names = {n for _, n, _, _ in string.Formatter().parse(value) if n}
            if names:  # hints and plain texts may differ in number between languages
                found[where] = names
        elif isinstance(value, dict):
            for name, inner in value.items():
                walk(f"{where}.{name}" if where else str(name), inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{where}[{index}]", inner)

    data = flow.model_dump(exclude={"name", "language", "voice", "line_name"})
    walk("", data)
    return found
