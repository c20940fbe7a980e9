"""Promises to pay: recorded by operations or at a visit, then kept by payments or broken.

A promise is kept the moment payments since it was recorded reach its amount, as long as that
happens by its date plus the policy's grace days. Once that deadline has passed, the daily job
breaks it; broken promises are a ladder fact and can escalate the case.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.cases.context import CaseContext
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.promises.exceptions import (
    InvalidPromiseError,
    PromiseCaseClosedError,
    PromiseCurrencyMismatchError,
)
from doorstep_case_api.promises.models import Promise
from doorstep_case_api.promises.repository import PromiseRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    CasePromiseBroken,
    CasePromiseKept,
    CasePromiseRecorded,
)
from doorstep_shared.money import Money, fits_minor_units, to_minor_digits

# A promise further out than this is a plan, not a promise: it belongs in an arrangement.
MAX_DAYS_AHEAD = 90


def ensure_case_currency(ctx: CaseContext, currency: str) -> None:
    if currency != ctx.case.currency:
        raise PromiseCurrencyMismatchError(
            f"the case is kept in {ctx.case.currency}; the promise says {currency}."
        )


async def record_promise(
    ctx: CaseContext,
    *,
    amount: Decimal,
    promised_date: date,
    channel: str,
    recorded_by: str,
    source: Literal["operations", "visit"],
) -> Promise:
    """Record a pending promise on an open case (the case must be locked by the caller)."""
    case = ctx.case
    if case.status != "open":
        raise PromiseCaseClosedError(f"case {case.id} is {case.status}; no promise is needed.")
    _validate(ctx, amount, promised_date)
    promise = Promise(
        id=uuid.uuid4(),
        case_id=case.id,
        amount=amount,
        currency=case.currency,
        promised_date=promised_date,
        channel=channel,
        recorded_by=recorded_by,
        source=source,
        status="pending",
        paid_towards=Decimal(0),
        recorded_on=ctx.business_date,
        created_at=utc_now(),
    )
    await PromiseRepository(ctx.session).add(promise)
    await ctx.events.record(
        case,
        ctx.policy,
        CasePromiseRecorded,
        f"Promise to pay {_money(ctx, amount)} by {promised_date} recorded ({channel}, {source}).",
        **_facts(ctx, promise),
        source=source,
        channel=channel,
    )
    return promise


def _validate(ctx: CaseContext, amount: Decimal, promised_date: date) -> None:
    currency = ctx.case.currency
    if amount <= 0:
        raise InvalidPromiseError("the promised amount must be positive.")
    if not fits_minor_units(amount, currency):
        raise InvalidPromiseError(f"the promised amount has more decimals than {currency} allows.")
    if amount > ctx.case.total_due:
        raise InvalidPromiseError(
            f"the promised amount exceeds the {_money(ctx, ctx.case.total_due)} due."
        )
    if promised_date < ctx.business_date:
        raise InvalidPromiseError(
            f"the promised date is before the business date {ctx.business_date}."
        )
    if promised_date > ctx.business_date + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidPromiseError(
            f"the promised date is more than {MAX_DAYS_AHEAD} days ahead; "
            "propose an arrangement instead."
        )


async def apply_payment_to_promises(ctx: CaseContext, amount: Decimal) -> None:
    """Count a payment on the case towards its pending promises, oldest first.

    Promises whose deadline has passed get nothing: they are late, and the daily job breaks
    them. A partial payment changes no case state beyond the payment itself, so it has no
    event of its own; a promise that becomes fully paid is kept at once.
    """
    promises = PromiseRepository(ctx.session)
    remaining = amount
    for promise in await promises.pending(ctx.case.id):
        if remaining <= 0:
            break
        if ctx.business_date > _deadline(ctx, promise):
            continue
        share = min(promise.amount - promise.paid_towards, remaining)
        promise.paid_towards += share
        remaining -= share
        if promise.paid_towards >= promise.amount:
            promise.status = "kept"
            promise.settled_on = ctx.business_date
            await ctx.events.record(
                ctx.case,
                ctx.policy,
                CasePromiseKept,
                f"Promise of {_money(ctx, promise.amount)} by {promise.promised_date} kept.",
                **_facts(ctx, promise),
            )
    await promises.flush()


async def settle_due_promises(ctx: CaseContext) -> None:
    """Break every pending promise past its date plus grace; running it again does nothing."""
    case = ctx.case
    if case.status != "open":
        return
    cutoff = ctx.business_date - timedelta(days=ctx.policy.promises.grace_days)
    promises = PromiseRepository(ctx.session)
    overdue = await promises.pending_dated_before(case.id, cutoff)
    for promise in overdue:
        promise.status = "broken"
        promise.settled_on = ctx.business_date
        case.broken_promises += 1
        await ctx.events.record(
            case,
            ctx.policy,
            CasePromiseBroken,
            f"Promise of {_money(ctx, promise.amount)} by {promise.promised_date} broken: "
            f"{_money(ctx, promise.paid_towards)} paid by the end of the "
            f"{ctx.policy.promises.grace_days}-day grace; "
            f"{case.broken_promises} broken promise(s) on this case.",
            **_facts(ctx, promise),
            paid_towards=to_minor_digits(promise.paid_towards, case.currency),
        )
    if overdue:
        await promises.flush()
        await advance(ctx)


async def promises_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Promise]:
    if await CaseRepository(session).get(case_id) is None:
        raise CaseNotFoundError(f"no case {case_id}")
    return list(await PromiseRepository(session).for_case(case_id))


def _deadline(ctx: CaseContext, promise: Promise) -> date:
    return promise.promised_date + timedelta(days=ctx.policy.promises.grace_days)


def _facts(ctx: CaseContext, promise: Promise) -> dict[str, object]:
    return {
        "promise_id": promise.id,
        "promised_amount": to_minor_digits(promise.amount, ctx.case.currency),
        "promised_date": promise.promised_date,
    }


def _money(ctx: CaseContext, amount: Decimal) -> str:
    return Money(amount, ctx.case.currency).formatted()
