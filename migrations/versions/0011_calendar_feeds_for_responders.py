"""calendar feeds for responders

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 18:50:50.341030
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_key_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_responders_calendar_key_hash"), ["calendar_key_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("responders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_responders_calendar_key_hash"), type_="unique")
        batch_op.drop_column("calendar_key_hash")
