"""collection lifecycle

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("updated_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendar")),
    )
    op.create_table(
        "evaluation_run",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("cases_evaluated", sa.Integer(), nullable=False),
        sa.Column("started_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("finished_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=True),
        sa.PrimaryKeyConstraint("business_date", name=op.f("pk_evaluation_run")),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("route", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("key", "route", name=op.f("pk_idempotency_record")),
    )
    op.create_table(
        "arrangement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "amount", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=True),
        sa.Column("instalment_count", sa.Integer(), nullable=True),
        sa.Column("first_due_date", sa.Date(), nullable=True),
        sa.Column("deferred_to", sa.Date(), nullable=True),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_role", sa.String(length=32), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name=op.f("fk_arrangement_case_id_collection_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangement")),
    )
    with op.batch_alter_table("arrangement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_arrangement_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("hold_type", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("freezes_fees", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("placed_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name=op.f("fk_case_hold_case_id_collection_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_hold")),
    )
    with op.batch_alter_table("case_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_hold_case_id"), ["case_id"], unique=False)

    op.create_table(
        "charge_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "amount", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("accrual_date", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["collection_case.id"],
            name=op.f("fk_charge_entry_case_id_collection_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_entry")),
        sa.UniqueConstraint(
            "case_id",
            "kind",
            "accrual_date",
            name=op.f("uq_charge_entry_case_id_kind_accrual_date"),
        ),
    )
    with op.batch_alter_table("charge_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_entry_case_id"), ["case_id"], unique=False)

    op.create_table(
        "legal_referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("dossier", sa.JSON(), nullable=True),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["collection_case.id"],
            name=op.f("fk_legal_referral_case_id_collection_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_referral")),
    )
    with op.batch_alter_table("legal_referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_referral_case_id"), ["case_id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column(
            "amount", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("allocation", sa.JSON(), nullable=False),
        sa.Column("received_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.account_id"], name=op.f("fk_payment_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name=op.f("fk_payment_case_id_collection_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint(
            "account_id", "reference", name=op.f("uq_payment_account_id_reference")
        ),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "promise",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "amount", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "paid_towards",
            doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["collection_case.id"], name=op.f("fk_promise_case_id_collection_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise")),
    )
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promise_case_id"), ["case_id"], unique=False)

    op.create_table(
        "stage_transition",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["collection_case.id"],
            name=op.f("fk_stage_transition_case_id_collection_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_transition")),
    )
    with op.batch_alter_table("stage_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_transition_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_stage_transition_date", ["business_date", "to_stage"], unique=False
        )

    op.create_table(
        "arrangement_instalment",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("arrangement_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "amount", doorstep_shared.db.types.MoneyAmount(precision=20, scale=4), nullable=False
        ),
        sa.Column(
            "paid_amount",
            doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["arrangement_id"],
            ["arrangement.id"],
            name=op.f("fk_arrangement_instalment_arrangement_id_arrangement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrangement_instalment")),
        sa.UniqueConstraint(
            "arrangement_id", "number", name=op.f("uq_arrangement_instalment_arrangement_id_number")
        ),
    )
    with op.batch_alter_table("arrangement_instalment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrangement_instalment_arrangement_id"), ["arrangement_id"], unique=False
        )

    with op.batch_alter_table("collection_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_entered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("first_notice_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("visit_attempted_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("broken_promises", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("broken_arrangements", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("legal_returned_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "late_fee_charged",
                doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(
            sa.Column(
                "penalty_interest_charged",
                doorstep_shared.db.types.MoneyAmount(precision=20, scale=4),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(sa.Column("charges_accrued_through", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("vulnerability_category", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("assigned_team_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collection_case", schema=None) as batch_op:
        batch_op.drop_column("assigned_team_id")
        batch_op.drop_column("vulnerability_category")
        batch_op.drop_column("charges_accrued_through")
        batch_op.drop_column("penalty_interest_charged")
        batch_op.drop_column("late_fee_charged")
        batch_op.drop_column("legal_returned_on")
        batch_op.drop_column("broken_arrangements")
        batch_op.drop_column("broken_promises")
        batch_op.drop_column("visit_attempted_on")
        batch_op.drop_column("first_notice_sent_on")
        batch_op.drop_column("stage_entered_on")

    with op.batch_alter_table("arrangement_instalment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangement_instalment_arrangement_id"))

    op.drop_table("arrangement_instalment")
    with op.batch_alter_table("stage_transition", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_transition_date")
        batch_op.drop_index(batch_op.f("ix_stage_transition_case_id"))

    op.drop_table("stage_transition")
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promise_case_id"))

    op.drop_table("promise")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_case_id"))

    op.drop_table("payment")
    with op.batch_alter_table("legal_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_referral_case_id"))

    op.drop_table("legal_referral")
    with op.batch_alter_table("charge_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charge_entry_case_id"))

    op.drop_table("charge_entry")
    with op.batch_alter_table("case_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_hold_case_id"))

    op.drop_table("case_hold")
    with op.batch_alter_table("arrangement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrangement_case_id"))

    op.drop_table("arrangement")
    op.drop_table("idempotency_record")
    op.drop_table("evaluation_run")
    op.drop_table("business_calendar")
