"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db import make_engine
from app.models import Base


def test_models_and_migrations_agree(database_url: str):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_an_existing_database_with_data_upgrades_to_head(tmp_path):
    """A team's SQLite file from an older version keeps its incidents through every upgrade."""
    from sqlalchemy import text

    from app.adapters.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO responders (id, name, role, phone, email, sms_opted_out, active, "
                "created_at) VALUES (1, 'Pat Lee', 'admin', '+13195550101', '', 0, 1, "
                "'2026-11-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO incidents (id, state, source, service_text, description, "
                "started_text, impact, impact_label, priority, incomplete, created_at, "
                "updated_at, owner_id, "
                "escalation_step, escalation_cycle, escalated, resolution_note) VALUES (1, 'open', "
                "'phone', 'vpn', 'down', '', 'everyone', 'down for everyone', 1, 0, "
                "'2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, 0, 0, 0, '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO incident_events (incident_id, at, kind, actor, channel, detail) "
                "VALUES (1, '2026-11-01 00:00:00', 'opened', 'x', 'voice', '')"
            )
        )
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT description, owner_id FROM incidents")).one() == (
            "down",
            1,
        )
        assert connection.execute(text("SELECT count(*) FROM incident_events")).scalar() == 1
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()


FAILING_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("half_done") as batch:
        batch.add_column(sa.Column("note", sa.String(20)))
    op.execute("INSERT INTO no_such_table VALUES (1)")
"""


def test_a_migration_failing_half_way_on_sqlite_leaves_nothing_behind(tmp_path):
    # Alembic runs our env.py against a revision that creates and alters a table, then fails.
    import shutil

    import pytest
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError

    from app.adapters.migrate import alembic_config
    from app.config import PROJECT_ROOT

    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        shutil.copy(PROJECT_ROOT / "migrations" / name, scripts / name)
    (scripts / "versions" / "0001_fails.py").write_text(FAILING_REVISION)
    url = f"sqlite:///{tmp_path / 'team.db'}"
    config = alembic_config(url)
    config.set_main_option("script_location", str(scripts))

    with pytest.raises(OperationalError, match="no_such_table"):
        command.upgrade(config, "head")
    engine = make_engine(url)
    tables = inspect(engine).get_table_names()
    engine.dispose()
    assert "half_done" not in tables
    assert "_alembic_tmp_half_done" not in tables


def test_the_callers_count_is_filled_from_the_reports(tmp_path):
    """0012 counts each incident's reports into `callers` (an incident with none keeps 1)."""
    import datetime as dt

    from sqlalchemy import Boolean, DateTime, Integer, MetaData, Table, text

    from app.adapters.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0011")
    engine = make_engine(url)
    tables = MetaData()
    incidents = Table("incidents", tables, autoload_with=engine)
    reports = Table("reports", tables, autoload_with=engine)

    def row(table: Table, **given: object) -> dict[str, object]:
        """The given values, and a plain one for every other column that needs one."""
        values = dict(given)
        for column in table.columns:
            if column.name in values or column.nullable or column.server_default is not None:
                continue
            if column.primary_key:
                continue
            kind = column.type
            values[column.name] = (
                dt.datetime(2026, 11, 1)
                if isinstance(kind, DateTime)
                else False
                if isinstance(kind, Boolean)
                else 0
                if isinstance(kind, Integer)
                else ""
            )
        return values

    with engine.begin() as connection:
        connection.execute(incidents.insert(), [row(incidents, id=1, state="open", priority=1)])
        connection.execute(incidents.insert(), [row(incidents, id=2, state="open", priority=1)])
        connection.execute(
            reports.insert(), [row(reports, incident_id=1, source="phone") for _ in range(3)]
        )
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = connection.execute(text("SELECT id, callers FROM incidents ORDER BY id")).all()
    engine.dispose()
    assert counts == [(1, 3), (2, 1)]
