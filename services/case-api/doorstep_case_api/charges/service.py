"""Late fees and penalty interest under the product policy: the consequences notices state.

Charges are capped at a share of the overdue principal, accrue once per business day (running
the job twice adds nothing), and stop while a hold freezes fees; frozen days are never charged
later.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from doorstep_case_api.cases.context import CaseContext
from doorstep_case_api.charges.repository import ChargeRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseChargesAccrued
from doorstep_shared.money import Money, round_to_minor


def _room_under_cap(ctx: CaseContext) -> Decimal:
    case = ctx.case
    cap = round_to_minor(case.principal * ctx.policy.charges.cap_ratio_of_principal, case.currency)
    return max(Decimal(0), cap - case.total_charges)


async def charge_late_fee(ctx: CaseContext) -> None:
    """The one-time late fee when a case opens (unless fees are frozen)."""
    case = ctx.case
    charges = ChargeRepository(ctx.session)
    if not ctx.cases.known_hold_free(case.id) and await charges.fees_frozen(case.id):
        return
    fee = min(round_to_minor(ctx.policy.charges.late_fee, case.currency), _room_under_cap(ctx))
    if fee <= 0:
        return
    added = await charges.add_once(
        case_id=case.id,
        kind="late_fee",
        amount=fee,
        currency=case.currency,
        accrual_date=ctx.business_date,
        basis="late fee on opening",
        now=utc_now(),
        case_unwritten=ctx.cases.opened_unwritten(case.id),
    )
    if added:
        case.late_fee_charged += fee
        await _record(ctx, ctx.business_date, fee, Decimal(0))


async def accrue_penalty_interest(ctx: CaseContext) -> None:
    """Penalty interest on overdue principal for the days since the last accrual."""
    case = ctx.case
    since = case.charges_accrued_through or case.stage_entered_on or ctx.business_date
    days = (ctx.business_date - since).days
    if days <= 0:
        return
    case.charges_accrued_through = ctx.business_date
    charges = ChargeRepository(ctx.session)
    if await charges.fees_frozen(case.id):
        return  # frozen days are skipped for good, not charged after the hold
    rate = ctx.policy.charges.daily_penalty_rate
    amount = min(round_to_minor(case.principal * rate * days, case.currency), _room_under_cap(ctx))
    if amount <= 0:
        return
    basis = f"{case.principal} {case.currency} × {rate} × {days} day(s), capped"
    added = await charges.add_once(
        case_id=case.id,
        kind="penalty_interest",
        amount=amount,
        currency=case.currency,
        accrual_date=ctx.business_date,
        basis=basis,
        now=utc_now(),
    )
    if added:
        case.penalty_interest_charged += amount
        await _record(ctx, ctx.business_date, Decimal(0), amount)


async def _record(ctx: CaseContext, on: date, late_fee: Decimal, interest: Decimal) -> None:
    case = ctx.case
    added = Money(late_fee + interest, case.currency).formatted()
    await ctx.events.record(
        case,
        ctx.policy,
        CaseChargesAccrued,
        f"Charges added under the {case.product} policy: {added} "
        f"(late fee {late_fee}, penalty interest {interest}).",
        accrual_date=on,
        late_fee_added=late_fee,
        penalty_interest_added=interest,
    )
