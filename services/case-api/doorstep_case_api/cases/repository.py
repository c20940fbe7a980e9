"""Queries for cases and timelines."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Any, Literal

from sqlalchemy import ColumnElement, Float, Integer, and_, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.models import Account, Customer
from doorstep_case_api.arrangements.models import Arrangement
from doorstep_case_api.cases.facts import CaseFacts
from doorstep_case_api.cases.models import Case, StageTransition, TimelineEntry
from doorstep_case_api.holds.models import Hold

SortField = Literal["opened_at", "days_past_due", "total_due"]


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a listing shows; ``None`` (or empty) means no condition."""

    status: str | None = None
    stages: tuple[str, ...] = ()
    min_dpd: int | None = None
    max_dpd: int | None = None
    region: str | None = None
    country: str | None = None
    product: str | None = None
    currency: str | None = None
    hold_type: str | None = None
    assigned_team_id: uuid.UUID | None = None
    vulnerable: bool | None = None


@dataclass(frozen=True)
class CaseOrder:
    field: SortField
    descending: bool


@dataclass(frozen=True)
class SortKey:
    """A sortable SQL value, how to bind a Python value against it and how to read it back."""

    expression: ColumnElement[Any]
    bind: Callable[[Any], Any]
    read: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


_MONEY_SCALE = 4  # MoneyAmount keeps four decimals


def total_due_sql(dialect: str) -> SortKey:
    """``Case.total_due`` (arrears plus Doorstep's charges) as an exact SQL expression.

    PostgreSQL sums the NUMERIC columns. SQLite keeps money as text, and its arithmetic on text
    goes through floats, so each amount becomes an integer count of 1/10,000 units first (exact
    for amounts below about 4.5e11); sums and comparisons on those integers are exact.
    """
    parts = [
        column.expression
        for column in (
            Case.principal,
            Case.interest,
            Case.fees,
            Case.penalties,
            Case.late_fee_charged,
            Case.penalty_interest_charged,
        )
    ]
    if dialect == "sqlite":
        units = [cast(func.round(cast(part, Float) * 10**_MONEY_SCALE), Integer) for part in parts]
        return SortKey(
            reduce(operator.add, units),
            bind=lambda amount: int(Decimal(amount).scaleb(_MONEY_SCALE)),
            read=lambda units: Decimal(int(units or 0)).scaleb(-_MONEY_SCALE),
        )
    return SortKey(
        reduce(operator.add, parts),
        bind=_same,
        read=lambda amount: Decimal(str(amount if amount is not None else 0)),
    )


def case_conditions(where: CaseFilter) -> list[ColumnElement[bool]]:
    """SQL conditions on ``Case`` for a filter (all must hold)."""
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(Case.status == where.status)
    if where.stages:
        conditions.append(Case.stage.in_(where.stages))
    if where.min_dpd is not None:
        conditions.append(Case.days_past_due >= where.min_dpd)
    if where.max_dpd is not None:
        conditions.append(Case.days_past_due <= where.max_dpd)
    if where.product is not None:
        conditions.append(Case.product == where.product)
    if where.currency is not None:
        conditions.append(Case.currency == where.currency)
    if where.assigned_team_id is not None:
        conditions.append(Case.assigned_team_id == where.assigned_team_id)
    if where.vulnerable is not None:
        category = Case.vulnerability_category
        conditions.append(category.is_not(None) if where.vulnerable else category.is_(None))
    if where.hold_type is not None:
        conditions.append(
            exists().where(
                Hold.case_id == Case.id,
                Hold.hold_type == where.hold_type,
                Hold.lifted_on.is_(None),
            )
        )
    if where.region is not None or where.country is not None:
        # The customer's current address, through the account the case belongs to.
        accounts = select(Account.account_id).join(Customer, Customer.id == Account.customer_id)
        if where.region is not None:
            accounts = accounts.where(Customer.region == where.region)
        if where.country is not None:
            accounts = accounts.where(Customer.country == where.country)
        conditions.append(Case.account_id.in_(accounts))
    return conditions


class CaseRepository:
    def __init__(self, session: AsyncSession, facts: CaseFacts | None = None) -> None:
        self._session = session
        self._facts = facts

    def add(self, case: Case) -> None:
        self._session.add(case)
        if self._facts is not None:
            self._facts.add_new_case(case.id)

    def opened_unwritten(self, case_id: uuid.UUID) -> bool:
        """A case opened in this transaction under prefetched facts (intake): nothing else
        refers to it yet, so its rows can wait for the flush (one insert per table)."""
        return self._facts is not None and case_id in self._facts.opened

    def known_hold_free(self, case_id: uuid.UUID) -> bool:
        """True when the prefetched facts say the case has no hold (so no query is needed)."""
        return self._facts is not None and self._facts.hold_types.get(case_id) == set()

    async def load_facts(self, case_ids: Sequence[uuid.UUID]) -> CaseFacts:
        """Active holds and arrangements of ``case_ids``: two queries for any number of cases."""
        facts = CaseFacts({case_id: set() for case_id in case_ids})
        if not case_ids:
            return facts
        holds = await self._session.execute(
            select(Hold.case_id, Hold.hold_type).where(
                Hold.case_id.in_(case_ids), Hold.lifted_on.is_(None)
            )
        )
        for case_id, hold_type in holds:
            facts.hold_types[case_id].add(hold_type)
        arranged = await self._session.execute(
            select(Arrangement.case_id).where(
                Arrangement.case_id.in_(case_ids), Arrangement.status == "active"
            )
        )
        facts.with_arrangement.update(arranged.scalars())
        return facts

    def add_timeline_entry(self, entry: TimelineEntry) -> None:
        self._session.add(entry)

    async def flush(self) -> None:
        await self._session.flush()

    async def open_case_for_account(self, account_id: str) -> Case | None:
        result = await self._session.execute(
            select(Case)
            .where(Case.account_id == account_id, Case.status == "open")
            .with_for_update()
        )
        return result.scalar_one_or_none()

    async def get(self, case_id: uuid.UUID) -> Case | None:
        return await self._session.get(Case, case_id)

    async def list_page(
        self,
        where: CaseFilter,
        order: CaseOrder,
        after: tuple[object, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Case]:
        """One page of cases in ``order``; ``after`` is the sort value and id of the last row
        of the previous page (keyset pagination: stable while cases are added or change)."""
        key = self._sort_key(order.field)
        query = select(Case).where(*case_conditions(where))
        if after is not None:
            value, case_id = after
            bound = key.bind(value)
            if order.descending:
                query = query.where(
                    or_(key.expression < bound, and_(key.expression == bound, Case.id < case_id))
                )
            else:
                query = query.where(
                    or_(key.expression > bound, and_(key.expression == bound, Case.id > case_id))
                )
        if order.descending:
            query = query.order_by(key.expression.desc(), Case.id.desc())
        else:
            query = query.order_by(key.expression, Case.id)
        return (await self._session.execute(query.limit(limit))).scalars().all()

    def _sort_key(self, field: SortField) -> SortKey:
        if field == "opened_at":
            return SortKey(Case.opened_at.expression, bind=_same, read=_same)
        if field == "days_past_due":
            return SortKey(Case.days_past_due.expression, bind=_same, read=_same)
        return total_due_sql(self._session.get_bind().dialect.name)

    async def active_holds(self, case_id: uuid.UUID) -> Sequence[Hold]:
        result = await self._session.execute(
            select(Hold)
            .where(Hold.case_id == case_id, Hold.lifted_on.is_(None))
            .order_by(Hold.starts_on, Hold.id)
        )
        return result.scalars().all()

    async def timeline(self, case_id: uuid.UUID) -> Sequence[TimelineEntry]:
        result = await self._session.execute(
            select(TimelineEntry).where(TimelineEntry.case_id == case_id).order_by(TimelineEntry.id)
        )
        return result.scalars().all()

    async def active_hold_types(self, case_id: uuid.UUID) -> set[str]:
        if self._facts is not None and self._facts.knows(case_id):
            return set(self._facts.hold_types[case_id])
        result = await self._session.execute(
            select(Hold.hold_type).where(Hold.case_id == case_id, Hold.lifted_on.is_(None))
        )
        return set(result.scalars())

    async def has_active_arrangement(self, case_id: uuid.UUID) -> bool:
        if self._facts is not None and self._facts.knows(case_id):
            return case_id in self._facts.with_arrangement
        result = await self._session.execute(
            select(Arrangement.id)
            .where(Arrangement.case_id == case_id, Arrangement.status == "active")
            .limit(1)
        )
        return result.first() is not None

    async def open_case_ids(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        query = select(Case.id).where(Case.status == "open").order_by(Case.id).limit(limit)
        if after is not None:
            query = query.where(Case.id > after)
        return list((await self._session.execute(query)).scalars())

    async def lock(self, case_id: uuid.UUID) -> Case | None:
        result = await self._session.execute(
            select(Case)
            .where(Case.id == case_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    def add_stage_transition(self, transition: StageTransition) -> None:
        self._session.add(transition)

    async def customer_of_case(self, case_id: uuid.UUID) -> Customer | None:
        result = await self._session.execute(
            select(Customer)
            .join(Account, Account.customer_id == Customer.id)
            .join(Case, Case.account_id == Account.account_id)
            .where(Case.id == case_id)
        )
        return result.scalar_one_or_none()

    async def cases_of_customers(
        self, customer_ids: Sequence[uuid.UUID], limit: int
    ) -> Sequence[Case]:
        if not customer_ids:
            return []
        result = await self._session.execute(
            select(Case)
            .join(Account, Account.account_id == Case.account_id)
            .where(Account.customer_id.in_(customer_ids))
            .order_by(Case.opened_at.desc(), Case.id)
            .limit(limit)
        )
        return result.scalars().all()
