"""delinquency batches: applied chunks and their per-record results; customer snapshot digest

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
        "intake_batch_chunk",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "chunk_index", name=op.f("pk_intake_batch_chunk")),
    )
    with op.batch_alter_table("customer") as customer:
        customer.add_column(sa.Column("snapshot_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer") as customer:
        customer.drop_column("snapshot_digest")
    op.drop_table("intake_batch_chunk")
