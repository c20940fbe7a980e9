"""Recording a payment from core banking and applying it to the account's open case.

Idempotent by (account, payment reference): the same payment again replays the first answer
and changes nothing; the same reference with another body is refused. A payment reduces the
case's arrears in the product's allocation order (see allocation.py), counts towards pending
promises and the active arrangement, and resolves the case when nothing is left to pay. Days
past due are left alone: core banking's next snapshot reports them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from doorstep_case_api.accounts.models import Account
from doorstep_case_api.arrangements.service import apply_payment_to_arrangement
from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.cases.lifecycle import resolve_case
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.operations.concurrency import check_if_match
from doorstep_case_api.payments.allocation import PARTS, Allocation, allocate
from doorstep_case_api.payments.exceptions import (
    AccountNotFoundError,
    PaymentCurrencyMismatchError,
    PaymentReferenceReusedError,
)
from doorstep_case_api.payments.models import Payment
from doorstep_case_api.payments.repository import PaymentRepository
from doorstep_case_api.payments.schemas import PaymentIn, PaymentOutcomeName
from doorstep_case_api.policy.model import ArrearsPart
from doorstep_case_api.promises.service import apply_payment_to_promises
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import Allocation as AllocationData
from doorstep_shared.events.contracts import CasePaymentReceived
from doorstep_shared.money import Money, to_minor_digits


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    outcome: PaymentOutcomeName
    case: Case | None
    replayed: bool = False


class PaymentService:
    def __init__(self, rules: CaseRules) -> None:
        self._rules = rules
        self._payments = PaymentRepository(rules.session)
        self._cases = CaseRepository(rules.session)

    async def record(
        self, account_id: str, payment: PaymentIn, *, if_match: str | None = None
    ) -> PaymentOutcome:
        """Record ``payment`` once and apply it to the account's open case, if there is one.

        ``if_match`` is optional: core banking reports facts without reading the case first,
        but a caller that sends the case's ETag gets 412 if the case changed meanwhile.
        """
        account = await self._payments.lock_account(account_id)
        if account is None:
            raise AccountNotFoundError("no such account")
        request_hash = payment.request_hash()
        earlier = await self._payments.by_reference(account_id, payment.payment_reference)
        if earlier is not None:
            return await self._replay(earlier, request_hash)
        _check_currency(account, payment)

        case = await self._cases.open_case_for_account(account_id)
        if case is None:
            unapplied = self._save(account_id, None, payment, request_hash)
            return PaymentOutcome(unapplied, "no_open_case", None)
        check_if_match(if_match, case)
        ctx = self._rules.context(case)
        outstanding, charged = outstanding_of(case)
        allocation = allocate(
            payment.amount, case.currency, outstanding, ctx.policy.allocation_order, charged
        )
        _reduce(case, allocation)
        saved = self._save(account_id, allocation, payment, request_hash, case.id)
        await _record_event(ctx, saved, allocation)
        await _apply_to_commitments(ctx, allocation.allocated)
        if case.total_due == 0:
            paid = Money(payment.amount, payment.currency).formatted()
            summary = f"Case resolved: {paid} received on {payment.value_date}, paid in full."
            await resolve_case(ctx, "paid", summary)
            return PaymentOutcome(saved, "cured", case)
        # DPD is unchanged, so usually nothing moves; but a payment can end an arrangement
        # and the ladder must then resume from where it paused.
        await advance(ctx)
        return PaymentOutcome(saved, "applied", case)

    async def _replay(self, earlier: Payment, request_hash: str) -> PaymentOutcome:
        if earlier.request_hash != request_hash:
            raise PaymentReferenceReusedError(
                "This payment reference was already recorded with a different body; "
                "nothing was changed.",
                payment_id=str(earlier.id),
            )
        if earlier.case_id is None:
            return PaymentOutcome(earlier, "no_open_case", None, replayed=True)
        case = await self._cases.get(earlier.case_id)
        cured = (
            case is not None
            and case.resolution_reason == "paid"
            and await self._payments.latest_for_case(case.id) == earlier.id
        )
        return PaymentOutcome(earlier, "cured" if cured else "applied", case, replayed=True)

    def _save(
        self,
        account_id: str,
        allocation: Allocation | None,
        payment: PaymentIn,
        request_hash: str,
        case_id: uuid.UUID | None = None,
    ) -> Payment:
        amount = to_minor_digits(payment.amount, payment.currency)
        shown = allocation.as_strings() if allocation else _all_unallocated(amount)
        saved = Payment(
            id=uuid.uuid4(),
            account_id=account_id,
            case_id=case_id,
            reference=payment.payment_reference,
            amount=amount,
            currency=payment.currency,
            value_date=payment.value_date,
            request_hash=request_hash,
            allocation=shown,
            received_at=utc_now(),
        )
        self._payments.add(saved)
        return saved


def outstanding_of(
    case: Case,
) -> tuple[dict[ArrearsPart, Decimal], dict[ArrearsPart, Decimal]]:
    """What the case owes per part (Doorstep's charges included) and the charges' share."""
    outstanding: dict[ArrearsPart, Decimal] = {
        "penalties": case.penalties + case.penalty_interest_charged,
        "fees": case.fees + case.late_fee_charged,
        "interest": case.interest,
        "principal": case.principal,
    }
    charged: dict[ArrearsPart, Decimal] = {
        "penalties": case.penalty_interest_charged,
        "fees": case.late_fee_charged,
    }
    return outstanding, charged


def _reduce(case: Case, allocation: Allocation) -> None:
    penalties, fees = allocation.parts["penalties"], allocation.parts["fees"]
    case.penalty_interest_charged -= penalties.charged
    case.penalties -= penalties.reported
    case.late_fee_charged -= fees.charged
    case.fees -= fees.reported
    case.interest -= allocation.to_part("interest")
    case.principal -= allocation.to_part("principal")


def _check_currency(account: Account, payment: PaymentIn) -> None:
    if payment.currency != account.currency:
        raise PaymentCurrencyMismatchError(
            f"account is kept in {account.currency}; payment says {payment.currency}. "
            "Nothing was recorded.",
            account_currency=account.currency,
        )


def _all_unallocated(amount: Decimal) -> dict[str, str]:
    zero = str(amount - amount)  # 0 with the amount's digits, e.g. "0.00"
    return {part: zero for part in PARTS} | {"unallocated": str(amount)}


async def _record_event(ctx: CaseContext, payment: Payment, allocation: Allocation) -> None:
    case = ctx.case
    paid = Money(payment.amount, payment.currency).formatted()
    split = ", ".join(
        f"{part} {to_minor_digits(allocation.to_part(part), case.currency)}"
        for part in ctx.policy.allocation_order
        if allocation.to_part(part) > 0
    )
    summary = f"Payment of {paid} received (value date {payment.value_date})"
    summary += f": {split}" if split else ""
    if allocation.unallocated > 0:
        over = Money(allocation.unallocated, case.currency).formatted()
        summary += f"; {over} more than was owed, left unallocated"
    await ctx.events.record(
        case,
        ctx.policy,
        CasePaymentReceived,
        summary + ".",
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        value_date=payment.value_date,
        allocation=AllocationData.model_validate(payment.allocation),
    )


async def _apply_to_commitments(ctx: CaseContext, allocated: Decimal) -> None:
    await apply_payment_to_promises(ctx, allocated)
    await apply_payment_to_arrangement(ctx, allocated)
