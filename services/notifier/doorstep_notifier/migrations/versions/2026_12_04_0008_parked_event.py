"""parked_event: case events that arrived ahead of a missing one, kept until it comes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parked_event",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("parked_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "subject", "sequence", name=op.f("pk_parked_event")),
    )
    with op.batch_alter_table("parked_event", schema=None) as batch_op:
        batch_op.create_index("ix_parked_event_parked_at", ["consumer", "parked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parked_event", schema=None) as batch_op:
        batch_op.drop_index("ix_parked_event_parked_at")
    op.drop_table("parked_event")
