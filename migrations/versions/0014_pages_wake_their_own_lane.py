"""pages wake their own lane: a second channel when a page or call is queued

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 00:55:00.000000
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The worker's main loop LISTENs on afterhours_due (every queued notification); its pages' lane
# on afterhours_page, sent only when the statement queued a page, a put-through call or a
# joint-call leg, so the stream of callers' receipts does not wake the lane for nothing.
WAKE = """
CREATE OR REPLACE FUNCTION afterhours_wake_worker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('afterhours_due', '');
    IF EXISTS (SELECT 1 FROM queued WHERE kind IN ('page', 'bridge', 'joint')) THEN
        PERFORM pg_notify('afterhours_page', '');
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGER = """
CREATE TRIGGER notifications_wake_worker AFTER INSERT ON notifications
REFERENCING NEW TABLE AS queued
FOR EACH STATEMENT EXECUTE FUNCTION afterhours_wake_worker()
"""
# As migration 0013 left them.
WAKE_BEFORE = """
CREATE OR REPLACE FUNCTION afterhours_wake_worker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('afterhours_due', '');
    RETURN NULL;
END
$$
"""
TRIGGER_BEFORE = """
CREATE TRIGGER notifications_wake_worker AFTER INSERT ON notifications
FOR EACH STATEMENT EXECUTE FUNCTION afterhours_wake_worker()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's worker polls
    op.execute("DROP TRIGGER notifications_wake_worker ON notifications")
    op.execute(WAKE)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER notifications_wake_worker ON notifications")
    op.execute(WAKE_BEFORE)
    op.execute(TRIGGER_BEFORE)
