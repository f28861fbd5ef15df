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

    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0002")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO responders (id, name, role, phone, email, sms_opted_out, active, "
            "created_at) VALUES (1, 'Pat Lee', 'admin', '+13195550101', '', 0, 1, "
            "'2026-11-01 00:00:00')"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO incidents (id, state, source, service_text, description, started_text, "
            "impact, impact_label, priority, incomplete, created_at, updated_at, owner_id, "
            "escalation_step, escalation_cycle, escalated, resolution_note) VALUES (1, 'open', "
            "'phone', 'vpn', 'down', '', 'everyone', 'down for everyone', 1, 0, "
            "'2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, 0, 0, 0, '')"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO incident_events (incident_id, at, kind, actor, channel, detail) "
            "VALUES (1, '2026-11-01 00:00:00', 'opened', 'x', 'voice', '')"
        ))  # fmt: skip
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT description, owner_id FROM incidents")).one() == (
            "down", 1,
        )  # fmt: skip
        assert connection.execute(text("SELECT count(*) FROM incident_events")).scalar() == 1
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
