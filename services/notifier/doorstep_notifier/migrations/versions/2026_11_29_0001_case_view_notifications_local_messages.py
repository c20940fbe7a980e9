"""case view, notifications, local messages, outbox, inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_view",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_view")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("trigger_event_id", sa.String(length=64), nullable=False),
        sa.Column("trigger_event_type", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "principal", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column(
            "interest", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column(
            "fees", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column(
            "penalties", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column(
            "total", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_message_id", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False
        ),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("updated_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("sent_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("trigger_event_id", name=op.f("uq_notification_trigger_event_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_case", ["case_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_notification_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "outbox_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("message_key", sa.String(length=255), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("published_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_message_event_id")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_event")),
    )
    op.create_table(
        "local_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_local_message_notification_id_notification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_message")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_local_message_notification_id")),
    )


def downgrade() -> None:
    op.drop_table("local_message")
    op.drop_table("processed_event")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_message_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox_message")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notification_due",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_notification_case")

    op.drop_table("notification")
    op.drop_table("case_view")
