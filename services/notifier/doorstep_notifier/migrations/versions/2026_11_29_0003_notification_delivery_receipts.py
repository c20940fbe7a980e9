"""notification: delivery receipts (delivery status, reason, time) and message-id lookup

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("delivery_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "delivery_updated_at",
                doorstep_shared.db.types.UtcDateTime(length=32),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_notification_provider_message", ["provider", "provider_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_provider_message")
        batch_op.drop_column("delivery_updated_at")
        batch_op.drop_column("delivery_reason")
        batch_op.drop_column("delivery_status")
