"""the worker woken by a trigger on queued notifications

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 21:20:00.000000
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Every notification is queued due at once, and the idle worker LISTENs on this channel
# (app/paging/wakeup.py): the NOTIFY goes out when the queueing transaction commits, and
# PostgreSQL folds a transaction's repeats into one.
WAKE = """
CREATE FUNCTION afterhours_wake_worker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('afterhours_due', '');
    RETURN NULL;
END
$$
"""
TRIGGER = """
CREATE TRIGGER notifications_wake_worker AFTER INSERT ON notifications
FOR EACH STATEMENT EXECUTE FUNCTION afterhours_wake_worker()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's worker polls
    op.execute(WAKE)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER notifications_wake_worker ON notifications")
    op.execute("DROP FUNCTION afterhours_wake_worker()")
