"""a count of callers on each incident

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 19:27:00.799971
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callers", sa.Integer(), server_default="1", nullable=False))
    # Every incident so far: its reports, counted once.
    op.execute(
        "UPDATE incidents SET callers = (SELECT count(*) FROM reports "
        "WHERE reports.incident_id = incidents.id) "
        "WHERE EXISTS (SELECT 1 FROM reports WHERE reports.incident_id = incidents.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("callers")
