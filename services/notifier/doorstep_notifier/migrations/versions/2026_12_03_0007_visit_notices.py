"""visit notices: notification kind, visit window and the notice it replaces; case_view product

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# Overdue-notice facts a visit notice does not have.
_OVERDUE_ONLY: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("product", sa.String(length=64)),
    ("stage", sa.String(length=32)),
    ("days_past_due", sa.Integer()),
    ("currency", sa.String(length=3)),
    ("principal", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4)),
    ("interest", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4)),
    ("fees", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4)),
    ("penalties", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4)),
    ("total", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4)),
    ("as_of_date", sa.Date()),
)
_WINDOWS = ("window_start", "window_end", "previous_window_start", "previous_window_end")


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), server_default="overdue", nullable=False)
        )
        batch_op.add_column(sa.Column("visit_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("replaces_notification_id", sa.Uuid(), nullable=True))
        for name in _WINDOWS:
            batch_op.add_column(
                sa.Column(name, doorstep_shared.db.types.UtcDateTime(length=32), nullable=True)
            )
        for name, type_ in _OVERDUE_ONLY:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
        batch_op.create_index("ix_notification_visit", ["visit_id", "created_at"], unique=False)
    with op.batch_alter_table("case_view", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product", sa.String(length=64), nullable=True))
    # Existing views learn their product from the case's newest notice (its case event's).
    op.execute(
        "UPDATE case_view SET product = (SELECT n.product FROM notification n "
        "WHERE n.case_id = case_view.case_id ORDER BY n.created_at DESC LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("case_view", schema=None) as batch_op:
        batch_op.drop_column("product")
    # The old schema cannot hold a notice without amounts.
    op.execute(
        "DELETE FROM contact_decision WHERE notification_id IN "
        "(SELECT id FROM notification WHERE kind <> 'overdue')"
    )
    op.execute("DELETE FROM notification WHERE kind <> 'overdue'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_visit")
        for name, type_ in _OVERDUE_ONLY:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        for name in reversed(_WINDOWS):
            batch_op.drop_column(name)
        batch_op.drop_column("replaces_notification_id")
        batch_op.drop_column("visit_id")
        batch_op.drop_column("kind")
