"""The portfolio summary: the open book by stage, and cure, promise and roll rates in a range.

Range dates are inclusive business dates. Timestamps (a case's opening and resolution) count on
their calendar day in the bank's time zone; promise settlements and stage transitions carry
their business date.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.operations.schemas import (
    AmountsByCurrency,
    PortfolioSummary,
    Ratio,
    RollRate,
    StageSummary,
)
from doorstep_case_api.operations.summary_repository import (
    PortfolioRepository,
    StageCurrencyTotal,
)
from doorstep_case_api.policy.model import CollectionPolicy
from doorstep_shared.money import to_minor_digits

# Resolution reasons that mean the customer paid the arrears back (intake: cured; payments: paid).
CURE_REASONS = ("cured", "paid")
_RATE_QUANTUM = Decimal("0.0001")


def rate(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        _RATE_QUANTUM, rounding=ROUND_HALF_EVEN
    )


class PortfolioSummaryService:
    def __init__(self, session: AsyncSession, policy: CollectionPolicy, bank_timezone: str) -> None:
        self._portfolio = PortfolioRepository(session)
        self._policy = policy
        self._zone = ZoneInfo(bank_timezone)

    def _start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self._zone).astimezone(UTC)

    async def summary(self, first: date, last: date, product: str | None) -> PortfolioSummary:
        start, end = self._start_of(first), self._start_of(last + timedelta(days=1))
        ladder = self._ladder(product)

        totals = await self._portfolio.open_totals(product)
        cured, open_in_range = await self._portfolio.cure_counts(start, end, CURE_REASONS, product)
        promises = await self._portfolio.settled_promises(first, last, product)
        kept, broken = promises.get("kept", 0), promises.get("broken", 0)
        moves = {
            m.from_stage: m for m in await self._portfolio.stage_moves(first, last, start, product)
        }

        roll_rates = []
        for from_stage, to_stage in _consecutive_pairs(ladder):
            cohort = moves.get(from_stage)
            cases = cohort.cases if cohort else 0
            rolled = cohort.moved_to.get(to_stage, 0) if cohort else 0
            roll_rates.append(
                RollRate(
                    from_stage=from_stage,
                    to_stage=to_stage,
                    cases=cases,
                    rolled=rolled,
                    rate=rate(rolled, cases),
                )
            )
        return PortfolioSummary(
            from_date=first,
            to_date=last,
            product=product,
            open_cases_by_stage=_by_stage(totals, ladder),
            open_total_due=_per_currency(totals),
            cases_by_status=await self._portfolio.count_by_status(product),
            cure_rate=Ratio(
                numerator=cured, denominator=open_in_range, rate=rate(cured, open_in_range)
            ),
            promise_kept_rate=Ratio(
                numerator=kept, denominator=kept + broken, rate=rate(kept, kept + broken)
            ),
            roll_rates=roll_rates,
        )

    def _ladder(self, product: str | None) -> list[list[str]]:
        """The stage orders that apply: the product's ladder, or every product's (default first)."""
        if product is not None:
            return [[stage.name for stage in self._policy.for_product(product).stages]]
        products = sorted(self._policy.products, key=lambda name: (name != "default", name))
        return [[stage.name for stage in self._policy.products[name].stages] for name in products]


def _consecutive_pairs(ladders: list[list[str]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for stages in ladders:
        for pair in itertools.pairwise(stages):
            if pair not in pairs:
                pairs.append(pair)
    return pairs


def _stage_order(ladders: list[list[str]], seen: set[str]) -> list[str]:
    order: list[str] = []
    for stages in ladders:
        order.extend(stage for stage in stages if stage not in order)
    # Stages no ladder names any more (a changed policy) still show, after the others.
    return order + sorted(seen - set(order))


def _add(amounts: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    amounts[currency] = amounts.get(currency, Decimal(0)) + amount


def _shown(amounts: dict[str, Decimal]) -> AmountsByCurrency:
    return {currency: to_minor_digits(amounts[currency], currency) for currency in sorted(amounts)}


def _by_stage(totals: list[StageCurrencyTotal], ladders: list[list[str]]) -> list[StageSummary]:
    counts: dict[str, int] = {}
    amounts: dict[str, dict[str, Decimal]] = {}
    for row in totals:
        counts[row.stage] = counts.get(row.stage, 0) + row.cases
        _add(amounts.setdefault(row.stage, {}), row.currency, row.total_due)
    return [
        StageSummary(
            stage=stage, cases=counts.get(stage, 0), total_due=_shown(amounts.get(stage, {}))
        )
        for stage in _stage_order(ladders, set(counts))
    ]


def _per_currency(totals: list[StageCurrencyTotal]) -> AmountsByCurrency:
    amounts: dict[str, Decimal] = {}
    for row in totals:
        _add(amounts, row.currency, row.total_due)
    return _shown(amounts)
