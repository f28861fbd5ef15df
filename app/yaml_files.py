"""The team's YAML files (roster, catalog): read, validated by a pydantic model, and refused with
the file and the place of the first mistake."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """A file's section: unknown keys are mistakes, not ignored."""

    model_config = ConfigDict(extra="forbid")


class FileError(Exception):
    """A file that cannot be loaded, with where the mistake is."""


def read_model(path: Path, model: type[M], error: type[FileError]) -> M:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: cannot be read: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise error(f"{path}: {where}: {first['msg']}") from None
