"""reopenings, unanswered confirmations, callers who cannot get texts, when a report last worked

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:11:47.808203
"""

import sqlalchemy as sa
from alembic import op

import app.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_worked_text", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("reopened_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("confirm_reminders", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_worked_text", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("texts_fail_since", app.models.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("director_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_summaries_director_at"), ["director_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summaries_director_at"))
        batch_op.drop_column("director_at")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("texts_fail_since")
        batch_op.drop_column("last_worked_text")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("confirm_reminders")
        batch_op.drop_column("reopened_at")
        batch_op.drop_column("last_worked_text")
