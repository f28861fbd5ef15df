"""PostgreSQL restarts and its pooled connections die: the next caller must not notice."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.support import CALLER, TwilioClient, sessions_come_to

pytestmark = pytest.mark.postgres


def ring(twilio: TwilioClient) -> str:
    params = {"CallSid": f"CA{uuid.uuid4().hex}", "From": CALLER, "To": "+13195550000"}
    response = twilio.post("/voice/incoming", params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def kill_every_other_connection(url: str) -> int:
    """What a database restart does to the pool: every connection it holds is dead."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    return killed or 0


def no_backend_left_but_this_one(url: str) -> bool:
    """pg_terminate_backend only signals: wait until the killed sessions have ended."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        return sessions_come_to(admin, "pid <> pg_backend_pid()", 0)
    finally:
        admin.dispose()


def test_a_connection_the_restart_closed_is_replaced(pg_app, postgres_url):
    """One caller served, the database restarted, then the next caller: they hear the menu, not
    the fallback voicemail."""
    twilio = TwilioClient(pg_app)
    assert "<Gather" in ring(twilio)
    assert kill_every_other_connection(postgres_url) >= 1
    assert no_backend_left_but_this_one(postgres_url)
    heard = ring(twilio)
    assert "<Gather" in heard and "/voice/fallback" not in heard
    assert "<Gather" in ring(twilio)
