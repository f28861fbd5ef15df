"""handed on: when the owner last gave an acknowledged incident back to the chain (ESC)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("handed_on_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("handed_on_at")
