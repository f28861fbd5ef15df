"""A PostgreSQL database of the benchmarks' own, so a run never touches the tests' database."""

from __future__ import annotations

from app.adapters.migrate import ensure_postgres_database, rebuild_postgres

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_URL = f"{SERVER}/afterhours_bench"


def fresh_database(url: str = BENCH_URL) -> str:
    """Create the database if needed, empty it, and migrate it."""
    ensure_postgres_database(url)
    rebuild_postgres(url)
    return url
