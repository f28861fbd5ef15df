"""contact deadline: when the worker next checks that an acknowledged incident's caller was reached

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 19:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("contact_check_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_incidents_contact_check_at", ["contact_check_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_contact_check_at")
        batch.drop_column("contact_check_at")
