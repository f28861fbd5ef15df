"""caller broadcasts: one row per piece of news for every caller, fanned out by the worker

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 04:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "caller_broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("except_report_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["except_report_id"],
            ["reports.id"],
            name=op.f("fk_caller_broadcasts_except_report_id_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_caller_broadcasts_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_broadcasts")),
    )
    with op.batch_alter_table("caller_broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caller_broadcasts_done_at"), ["done_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_caller_broadcasts_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("caller_broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_broadcasts_incident_id"))
        batch_op.drop_index(batch_op.f("ix_caller_broadcasts_done_at"))
    op.drop_table("caller_broadcasts")
