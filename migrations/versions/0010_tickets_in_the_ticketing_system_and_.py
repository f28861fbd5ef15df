"""tickets in the ticketing system and their outbox

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 18:20:30.336349
"""

import sqlalchemy as sa
from alembic import op

import app.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["incident_events.id"],
            name=op.f("fk_ticket_updates_event_id_incident_events"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_ticket_updates_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_updates")),
    )
    with op.batch_alter_table("ticket_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_updates_incident_status", ["incident_id", "status"], unique=False
        )
        batch_op.create_index("ix_ticket_updates_status_due", ["status", "due_at"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "ticket_created_at", app.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("ticket_id", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("ticket_url", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_incidents_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_ticket_id"))
        batch_op.drop_column("ticket_url")
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("ticket_created_at")

    with op.batch_alter_table("ticket_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_updates_status_due")
        batch_op.drop_index("ix_ticket_updates_incident_status")

    op.drop_table("ticket_updates")
