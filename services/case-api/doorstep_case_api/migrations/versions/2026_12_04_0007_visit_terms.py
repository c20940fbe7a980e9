"""visit terms: address kind, visit consent, visit windows, repayment capacity

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_terms",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("address_kind", sa.String(length=16), nullable=False),
        sa.Column("visit_consent_recorded", sa.Boolean(), nullable=False),
        sa.Column(
            "visit_consent_recorded_at",
            doorstep_shared.db.types.UtcDateTime(length=32),
            nullable=True,
        ),
        sa.Column("visit_consent_recorded_by", sa.String(length=128), nullable=True),
        sa.Column("visit_windows", sa.JSON(), nullable=False),
        sa.Column(
            "monthly_income",
            doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
            nullable=True,
        ),
        sa.Column(
            "monthly_obligations",
            doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
            nullable=True,
        ),
        sa.Column("capacity_currency", sa.String(length=3), nullable=True),
        sa.Column("capacity_assessed_on", sa.Date(), nullable=True),
        sa.Column("updated_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.CheckConstraint(
            "(monthly_income IS NULL AND monthly_obligations IS NULL AND capacity_currency IS NULL AND capacity_assessed_on IS NULL) OR (monthly_income IS NOT NULL AND monthly_obligations IS NOT NULL AND capacity_currency IS NOT NULL AND capacity_assessed_on IS NOT NULL)",
            name=op.f("ck_visit_terms_capacity_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_visit_terms_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_visit_terms")),
    )


def downgrade() -> None:
    op.drop_table("visit_terms")
