"""Schema changes go through Alembic; this runs them for the CLI, `make run` and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from app.config import PROJECT_ROOT
from app.db import make_engine


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database `url` names if the server does not have it yet."""
    server, _, name = url.rpartition("/")
    name = name.split("?", 1)[0]
    admin = make_engine(f"{server}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def rebuild_postgres(url: str) -> None:
    """Drop everything in the PostgreSQL database's public schema, then migrate from scratch.
    Destroys data: for the test suite's and the benchmarks' own databases only."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
