"""confirmations, summaries, call-backs, e-mail and priority contacts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:26:33.108973
"""

import sqlalchemy as sa
from alembic import op

import app.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "priority_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_contacts")),
        sa.UniqueConstraint("number", name=op.f("uq_priority_contacts_number")),
    )
    op.create_table(
        "emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_emails_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emails")),
    )
    with op.batch_alter_table("emails", schema=None) as batch_op:
        batch_op.create_index("ix_emails_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remind_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("work", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_summaries_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["responder_id"], ["responders.id"], name=op.f("fk_summaries_responder_id_responders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summaries")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_summaries_incident_id")),
    )
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_summaries_overdue_at"), ["overdue_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_summaries_remind_at"), ["remind_at"], unique=False)

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("caller_number", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("talk_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_callbacks_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_callbacks_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["responder_id"], ["responders.id"], name=op.f("fk_callbacks_responder_id_responders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_callbacks_notification_id")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_incident_id"), ["incident_id"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority_customer", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("confirmed_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("confirmed_via", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("confirm_reminder_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reporter_update_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "reporter_update_sent_at", app.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_incidents_confirm_reminder_at"), ["confirm_reminder_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incidents_reporter_update_at"), ["reporter_update_at"], unique=False
        )

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incomplete", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("confirmation", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("confirmed_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmation")
        batch_op.drop_column("incomplete")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_reporter_update_at"))
        batch_op.drop_index(batch_op.f("ix_incidents_confirm_reminder_at"))
        batch_op.drop_column("reporter_update_sent_at")
        batch_op.drop_column("reporter_update_at")
        batch_op.drop_column("confirm_reminder_at")
        batch_op.drop_column("confirmed_via")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("priority_customer")

    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_incident_id"))

    op.drop_table("callbacks")
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summaries_remind_at"))
        batch_op.drop_index(batch_op.f("ix_summaries_overdue_at"))

    op.drop_table("summaries")
    with op.batch_alter_table("emails", schema=None) as batch_op:
        batch_op.drop_index("ix_emails_status_due")

    op.drop_table("emails")
    op.drop_table("priority_contacts")
