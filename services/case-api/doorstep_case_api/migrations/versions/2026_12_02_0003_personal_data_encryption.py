"""personal data encrypted at rest

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The customer's personal data columns become Text (they hold AES-GCM tokens), a national id
column and the phone and national id blind indexes are added. Migrations have no keys, so a
database upgraded with customer rows still holds their plaintext: run
``doorstep-case-api rotate-keys`` right after upgrading; it encrypts them and fills the indexes.

Downgrade cannot decrypt either: it refuses while customer rows exist (restore the backup taken
before the upgrade instead).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# column -> (type before 0003, nullable)
_ENCRYPTED: dict[str, tuple[sa.types.TypeEngine[object], bool]] = {
    "name": (sa.String(length=200), False),
    "phone": (sa.String(length=32), True),
    "email": (sa.String(length=254), True),
    "address_line1": (sa.String(length=200), True),
    "address_line2": (sa.String(length=200), True),
    "city": (sa.String(length=100), True),
    "postal_code": (sa.String(length=20), True),
    "latitude": (sa.Float(), True),
    "longitude": (sa.Float(), True),
}


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        for column, (old_type, nullable) in _ENCRYPTED.items():
            batch_op.alter_column(
                column,
                existing_type=old_type,
                type_=sa.Text(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::text",
            )
        batch_op.add_column(sa.Column("phone_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("national_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("national_id_index", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_customer_phone_index"), ["phone_index"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customer_national_id_index"), ["national_id_index"], unique=False
        )


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT count(*) FROM customer")).scalar():
        raise RuntimeError(
            "downgrade below 0003 would leave encrypted tokens in plaintext columns (or fail to "
            "fit them); restore the backup taken before the upgrade instead"
        )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_national_id_index"))
        batch_op.drop_index(batch_op.f("ix_customer_phone_index"))
        batch_op.drop_column("national_id_index")
        batch_op.drop_column("national_id")
        batch_op.drop_column("phone_index")
        for column, (old_type, nullable) in _ENCRYPTED.items():
            cast = "double precision" if isinstance(old_type, sa.Float) else str(old_type)
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=old_type,
                existing_nullable=nullable,
                postgresql_using=f"{column}::{cast}",
            )
