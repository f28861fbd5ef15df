"""one outbox: e-mail, ticket updates and callers' news leased like messages; set aside: `parked`

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC = app.models.base.UTCDateTime(timezone=True)


def _claims(batch_op) -> None:  # type: ignore[no-untyped-def]
    batch_op.add_column(sa.Column("claimed_at", UTC, nullable=True))
    batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def upgrade() -> None:
    with op.batch_alter_table("emails", schema=None) as batch_op:
        _claims(batch_op)
        batch_op.create_index(batch_op.f("ix_emails_claim_token"), ["claim_token"], unique=False)
    op.execute("UPDATE emails SET status = 'parked' WHERE status = 'failed'")

    with op.batch_alter_table("ticket_updates", schema=None) as batch_op:
        _claims(batch_op)
        batch_op.create_index(
            batch_op.f("ix_ticket_updates_claim_token"), ["claim_token"], unique=False
        )

    with op.batch_alter_table("caller_broadcasts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="queued")
        )
        batch_op.add_column(sa.Column("due_at", UTC, nullable=True))
        _claims(batch_op)
        batch_op.add_column(
            sa.Column("last_error", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("sent_at", UTC, nullable=True))
    # News told is sent; news tried three times and never told was set aside: parked.
    op.execute(
        "UPDATE caller_broadcasts SET due_at = created_at, sent_at = done_at, status = CASE "
        "WHEN done_at IS NOT NULL THEN 'sent' WHEN attempts >= 3 THEN 'parked' "
        "ELSE 'queued' END"
    )
    with op.batch_alter_table("caller_broadcasts", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=UTC, nullable=False)
        batch_op.drop_index(batch_op.f("ix_caller_broadcasts_done_at"))
        batch_op.drop_column("done_at")
        batch_op.create_index(
            batch_op.f("ix_caller_broadcasts_claim_token"), ["claim_token"], unique=False
        )
        batch_op.create_index("ix_caller_broadcasts_status_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("caller_broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_caller_broadcasts_status_due")
        batch_op.drop_index(batch_op.f("ix_caller_broadcasts_claim_token"))
        batch_op.add_column(sa.Column("done_at", UTC, nullable=True))
    op.execute("UPDATE caller_broadcasts SET done_at = sent_at")
    with op.batch_alter_table("caller_broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caller_broadcasts_done_at"), ["done_at"], unique=False)
        for column in ("sent_at", "last_error", "claim_token", "claimed_at", "due_at", "status"):
            batch_op.drop_column(column)

    with op.batch_alter_table("ticket_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_updates_claim_token"))
        batch_op.drop_column("claim_token")
        batch_op.drop_column("claimed_at")

    op.execute("UPDATE emails SET status = 'failed' WHERE status = 'parked'")
    with op.batch_alter_table("emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emails_claim_token"))
        batch_op.drop_column("claim_token")
        batch_op.drop_column("claimed_at")
