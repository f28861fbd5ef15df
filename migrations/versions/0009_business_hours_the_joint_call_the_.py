"""business hours, the joint call, the customer's e-mail and CAS claims

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 15:48:46.938838
"""

import sqlalchemy as sa
from alembic import op

import app.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "joint_call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("joined_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("left_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_joint_call_legs_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_joint_call_legs_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["responder_id"],
            ["responders.id"],
            name=op.f("fk_joint_call_legs_responder_id_responders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_call_legs")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_joint_call_legs_call_sid")),
    )
    with op.batch_alter_table("joint_call_legs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_joint_call_legs_incident_id"), ["incident_id"], unique=False
        )

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cas_claimed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("business_hours", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("responsible_party", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("first_contact_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("first_contact_via", sa.String(length=16), nullable=False, server_default="")
        )

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("responsible_party", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("cas_claimed", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("responders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summaries", sa.JSON(), nullable=True))
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("primary_admin_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("backup_admin_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_services_backup_admin_id_responders"),
            "responders",
            ["backup_admin_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_services_primary_admin_id_responders"),
            "responders",
            ["primary_admin_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("responders", schema=None) as batch_op:
        batch_op.drop_column("summaries")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_services_primary_admin_id_responders"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_services_backup_admin_id_responders"), type_="foreignkey"
        )
        batch_op.drop_column("backup_admin_id")
        batch_op.drop_column("primary_admin_id")

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("cas_claimed")
        batch_op.drop_column("responsible_party")
        batch_op.drop_column("email")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("first_contact_via")
        batch_op.drop_column("first_contact_at")
        batch_op.drop_column("responsible_party")
        batch_op.drop_column("business_hours")
        batch_op.drop_column("cas_claimed")

    with op.batch_alter_table("joint_call_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_call_legs_incident_id"))

    op.drop_table("joint_call_legs")
