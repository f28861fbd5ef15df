"""A database of the benchmarks' own, so a run never touches the tests' database."""

from __future__ import annotations

from pathlib import Path

from app.adapters.migrate import ensure_postgres_database, rebuild_postgres, upgrade

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_URL = f"{SERVER}/afterhours_bench"


def fresh_database(url: str = BENCH_URL) -> str:
    """Create the database if needed, empty it, and migrate it."""
    ensure_postgres_database(url)
    rebuild_postgres(url)
    return url


def prepare(database: str, workdir: Path, url: str | None) -> str:
    """The benchmark's own database: --database-url if given (emptied first), else a fresh
    SQLite file in `workdir` or the PostgreSQL database `afterhours_bench`."""
    if database == "postgres" or (url and url.startswith("postgresql")):
        chosen = url.replace("postgresql://", "postgresql+psycopg://", 1) if url else BENCH_URL
        return fresh_database(chosen)
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    return url
