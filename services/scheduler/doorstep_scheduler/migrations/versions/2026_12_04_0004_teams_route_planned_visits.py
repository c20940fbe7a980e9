"""teams of collectors with absences; route-planned visits: plans, appointment notices,
check-in and outcomes; case priority facts

The old ``collector`` rows were teams: they become ``team`` rows (same ids), and ``collector``
now holds the team members.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import doorstep_shared.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_OLD_ACTIVE = sa.text("status IN ('scheduled', 'unassigned')")
_NEW_ACTIVE = sa.text("status IN ('unassigned', 'scheduled', 'checked_in')")
_OLD_STATUSES = "status IN ('scheduled', 'unassigned', 'cancelled')"
_NEW_STATUSES = "status IN ('unassigned', 'scheduled', 'checked_in', 'completed', 'cancelled')"

_VISIT_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    # Encrypted tokens (doorstep_scheduler.encryption): customer data at rest.
    ("latitude", sa.Text()),
    ("longitude", sa.Text()),
    ("terms", sa.Text()),
    ("terms_fetched_at", doorstep_shared.db.types.UtcDateTime(length=32)),
    ("plan_id", sa.Uuid()),
    ("plan_day", sa.Date()),
    ("route_position", sa.Integer()),
    ("service_start", doorstep_shared.db.types.UtcDateTime(length=32)),
    ("unassigned_code", sa.String(length=40)),
    ("notice_event_id", sa.String(length=64)),
    ("notice_status", sa.String(length=16)),
    ("notice_sent_at", doorstep_shared.db.types.UtcDateTime(length=32)),
    ("checked_in_at", doorstep_shared.db.types.UtcDateTime(length=32)),
    ("check_in_latitude", sa.Float()),
    ("check_in_longitude", sa.Float()),
    ("check_in_distance_meters", sa.Float()),
    ("check_in_far", sa.Boolean()),
    ("outcome", sa.String(length=32)),
    ("outcome_at", doorstep_shared.db.types.UtcDateTime(length=32)),
    ("outcome_notes", sa.Text()),
    ("recording_ref", sa.String(length=200)),
    ("promise_amount", sa.Numeric(precision=18, scale=4)),
    ("promise_currency", sa.String(length=3)),
    ("promise_date", sa.Date()),
)


_UTC = doorstep_shared.db.types.UtcDateTime(length=32)


def _create_team() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("base_latitude", sa.Float(), nullable=True),
        sa.Column("base_longitude", sa.Float(), nullable=True),
        sa.Column("holiday_country", sa.String(length=2), nullable=True),
        sa.Column("max_visits_per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    # No base and UTC hours: an old team plans nothing until operations complete it.
    op.execute(
        "INSERT INTO team (id, name, active, timezone, max_visits_per_day, created_at, "
        "updated_at) SELECT id, name, active, 'UTC', max_visits_per_day, created_at, "
        "created_at FROM collector"
    )


def _create_members() -> None:
    op.create_table(
        "collector",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employee_ref", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("work_start", sa.Time(), nullable=False),
        sa.Column("work_end", sa.Time(), nullable=False),
        sa.Column("working_weekdays", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("max_visits_per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.CheckConstraint("work_start < work_end", name=op.f("ck_collector_working_hours")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_collector_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collector")),
        sa.UniqueConstraint("employee_ref", name=op.f("uq_collector_employee_ref")),
    )
    with op.batch_alter_table("collector", schema=None) as batch_op:
        batch_op.create_index("ix_collector_team", ["team_id"])
    op.create_table(
        "collector_absence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("collector_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.CheckConstraint("first_day <= last_day", name=op.f("ck_collector_absence_period")),
        sa.ForeignKeyConstraint(
            ["collector_id"],
            ["collector.id"],
            name=op.f("fk_collector_absence_collector_id_collector"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collector_absence")),
    )
    with op.batch_alter_table("collector_absence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collector_absence_period", ["collector_id", "first_day", "last_day"]
        )


def upgrade() -> None:
    _create_team()
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("uq_visit_collector_slot", sqlite_where=sa.text("status = 'scheduled'"))
        batch_op.drop_index("uq_visit_active_case", sqlite_where=_OLD_ACTIVE)
    with op.batch_alter_table("visit", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("fk_visit_collector_id_collector"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_visit_status"), type_="check")
        batch_op.alter_column("collector_id", new_column_name="team_id")
        batch_op.alter_column("unassigned_reason", type_=sa.String(length=300))
        batch_op.alter_column("cancel_reason", type_=sa.String(length=300))
        batch_op.add_column(
            sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        for name, type_ in _VISIT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_check_constraint("status", sa.text(_NEW_STATUSES))
    # A second pass: the renamed column must exist before SQLite's copy can reference it.
    with op.batch_alter_table("visit", schema=None, recreate="always") as batch_op:
        batch_op.create_foreign_key(op.f("fk_visit_team_id_team"), "team", ["team_id"], ["id"])
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(
            "uq_visit_active_case",
            ["case_id"],
            unique=True,
            postgresql_where=_NEW_ACTIVE,
            sqlite_where=_NEW_ACTIVE,
        )
        batch_op.create_index("ix_visit_team_day", ["team_id", "plan_day", "route_position"])
        batch_op.create_index("ix_visit_status_window", ["status", "window_start"])
    op.drop_table("collector")
    _create_members()

    # Existing rows: not vulnerable, no total known and no broken promise counted until the
    # case's next event.
    with op.batch_alter_table("case_view", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("vulnerable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("total_due", sa.Numeric(precision=18, scale=4), nullable=True)
        )
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch_op.add_column(
            sa.Column("broken_promises", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("visits_exhausted_stage", sa.String(length=32), nullable=True)
        )

    op.create_table(
        "visit_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("finished_at", doorstep_shared.db.types.UtcDateTime(length=32), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("solver", sa.String(length=60), nullable=False),
        sa.Column("solve_seconds", sa.Float(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("unplanned", sa.Integer(), nullable=False),
        sa.Column("travel_seconds", sa.Integer(), nullable=False),
        sa.Column("unplanned_by_reason", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_plan")),
    )
    with op.batch_alter_table("visit_plan", schema=None) as batch_op:
        batch_op.create_index("ix_visit_plan_started", ["started_at"])


def downgrade() -> None:
    with op.batch_alter_table("visit_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_plan_started")
    op.drop_table("visit_plan")

    with op.batch_alter_table("case_view", schema=None) as batch_op:
        for name in ("visits_exhausted_stage", "broken_promises", "currency", "total_due"):
            batch_op.drop_column(name)
        batch_op.drop_column("vulnerable")

    op.drop_table("collector_absence")
    op.drop_table("collector")
    _recreate_old_collector()

    # Visits in states the old schema cannot hold end as cancelled, and lose their plan data.
    op.execute(
        "UPDATE visit SET status = 'cancelled', cancel_reason = 'schema downgraded' "
        "WHERE status IN ('checked_in', 'completed')"
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_status_window")
        batch_op.drop_index("ix_visit_team_day")
        batch_op.drop_index("uq_visit_active_case", sqlite_where=_NEW_ACTIVE)
    with op.batch_alter_table("visit", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("fk_visit_team_id_team"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_visit_status"), type_="check")
        for name, _ in reversed(_VISIT_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("priority")
        batch_op.drop_column("attempt")
        batch_op.alter_column("cancel_reason", type_=sa.String(length=200))
        batch_op.alter_column("unassigned_reason", type_=sa.String(length=200))
        batch_op.alter_column("team_id", new_column_name="collector_id")
        batch_op.create_foreign_key(
            "fk_visit_collector_id_collector", "collector", ["collector_id"], ["id"]
        )
        batch_op.create_check_constraint("status", sa.text(_OLD_STATUSES))
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(
            "uq_visit_active_case",
            ["case_id"],
            unique=True,
            postgresql_where=_OLD_ACTIVE,
            sqlite_where=_OLD_ACTIVE,
        )
        batch_op.create_index(
            "uq_visit_collector_slot",
            ["collector_id", "window_start"],
            unique=True,
            postgresql_where=sa.text("status = 'scheduled'"),
            sqlite_where=sa.text("status = 'scheduled'"),
        )
    op.drop_table("team")


def _recreate_old_collector() -> None:
    op.create_table(
        "collector",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("max_visits_per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collector")),
        sa.UniqueConstraint("name", name=op.f("uq_collector_name")),
    )
    op.execute(
        "INSERT INTO collector (id, name, active, max_visits_per_day, created_at) "
        "SELECT id, name, active, max_visits_per_day, created_at FROM team"
    )
