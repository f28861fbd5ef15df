"""A PostgreSQL database of the benchmarks' own, so a run never touches the tests' database."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from app.adapters.migrate import rebuild_postgres

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_URL = f"{SERVER}/afterhours_bench"


def fresh_database(url: str = BENCH_URL) -> str:
    """Create the database if needed, empty it, and migrate it."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    rebuild_postgres(url)
    return url
