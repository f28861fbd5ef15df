"""confirmed addresses: a caller's e-mail address gets updates once confirmed by its link

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(
            sa.Column("email_confirm_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "email_confirmed_at", app.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.create_index("ix_reports_email_confirm_at", ["email_confirm_at"], unique=False)
    # Addresses given before confirmation existed were typed by staff or texted by the caller
    # from their own phone, and have had updates since: they stay confirmed.
    op.execute("UPDATE reports SET email_confirmed_at = created_at WHERE email <> ''")


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_email_confirm_at")
        batch.drop_column("email_confirmed_at")
        batch.drop_column("email_confirm_at")
