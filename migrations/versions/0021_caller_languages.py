"""caller languages: the language of each call and report, and the one a number chose

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 04:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
    op.create_table(
        "caller_languages",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("chosen_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("caller_languages")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("language")
