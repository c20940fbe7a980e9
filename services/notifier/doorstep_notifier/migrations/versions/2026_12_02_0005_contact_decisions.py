"""contact decision log; the charges each notice states

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_decision",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("pack_id", sa.String(length=32), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("not_before", doorstep_shared.db.types.UtcDateTime(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("timezone_source", sa.String(length=100), nullable=False),
        sa.Column("decided_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_decision")),
    )
    with op.batch_alter_table("contact_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_decision_notification", ["notification_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_decision_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "late_fees",
                doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "penalty_interest",
                doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("penalty_interest")
        batch_op.drop_column("late_fees")
    with op.batch_alter_table("contact_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_decision_case_id"))
        batch_op.drop_index("ix_contact_decision_notification")
    op.drop_table("contact_decision")
