"""case view: treatment, collection paused and active holds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows: treatment unknown, not paused, no holds, until their case's next event.
    with op.batch_alter_table("case_view", schema=None) as batch_op:
        batch_op.add_column(sa.Column("treatment", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("collection_paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("holds", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("case_view", schema=None) as batch_op:
        batch_op.drop_column("holds")
        batch_op.drop_column("collection_paused")
        batch_op.drop_column("treatment")
