"""PostgreSQL restarts and its pooled connections die: the next caller must not notice."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from app import db
from tests.support import CALLER, TwilioClient

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


def after_a_restart(
    pg_app: Flask, postgres_url: str, monkeypatch: pytest.MonkeyPatch, ping_after: float
) -> tuple[TwilioClient, str]:
    """One caller served, the database restarted, then the next caller: what do they hear?"""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", ping_after)
    twilio = TwilioClient(pg_app)
    assert "<Gather" in ring(twilio)
    assert kill_every_other_connection(postgres_url) >= 1
    return twilio, ring(twilio)


def test_a_connection_idle_since_the_restart_is_checked_and_replaced(
    pg_app, postgres_url, monkeypatch
):
    _, heard = after_a_restart(pg_app, postgres_url, monkeypatch, ping_after=0.0)
    # The caller hears the menu, not the fallback voicemail.
    assert "<Gather" in heard and "/voice/fallback" not in heard


def test_without_the_check_the_dead_connection_sends_the_caller_to_the_fallback(
    pg_app, postgres_url, monkeypatch
):
    # The check above is what saves that caller: skip it and the dead connection is used.
    twilio, heard = after_a_restart(pg_app, postgres_url, monkeypatch, ping_after=3600.0)
    assert "/voice/fallback" in heard
    # The pool threw the dead connection away: the next caller is served again.
    assert "<Gather" in ring(twilio)
