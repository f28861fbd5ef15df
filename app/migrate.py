"""Schema changes go through Alembic; this runs them for the CLI, `make run` and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from .config import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
