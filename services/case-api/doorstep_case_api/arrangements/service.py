"""Repayment arrangements: instalment plans and deferrals, from proposal to completed or broken.

Statuses: proposed → rejected, or proposed → active → completed | broken. Approval activates the
arrangement at once, so "approved" is never stored and approval records ONE event, with
``arrangement_status="active"`` (its timeline summary names the approver). While an arrangement
is active the ladder pauses; when it completes or breaks, the ladder resumes.

Every function expects the case locked by the caller (``CaseRepository.lock``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.arrangements.exceptions import (
    ArrangementCaseClosedError,
    ArrangementCurrencyMismatchError,
    ArrangementExistsError,
    ArrangementNotFoundError,
    ArrangementOutdatedError,
    ArrangementTransitionError,
    InvalidArrangementError,
    SupervisorApprovalRequiredError,
)
from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment
from doorstep_case_api.arrangements.repository import ArrangementRepository
from doorstep_case_api.arrangements.schedule import Frequency, instalment_schedule
from doorstep_case_api.audit_trail import record_decision
from doorstep_case_api.cases.context import CaseContext
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseArrangementChanged
from doorstep_shared.money import Money, fits_minor_units, minor_units, to_minor_digits

ApproverRole = Literal["agent", "supervisor"]


@dataclass(frozen=True)
class InstalmentPlanTerms:
    count: int
    frequency: Frequency
    first_due: date


@dataclass(frozen=True)
class DeferralTerms:
    deferred_to: date


Terms = InstalmentPlanTerms | DeferralTerms


def ensure_case_currency(ctx: CaseContext, currency: str) -> None:
    if currency != ctx.case.currency:
        raise ArrangementCurrencyMismatchError(
            f"the case is kept in {ctx.case.currency}; the arrangement says {currency}."
        )


async def propose(
    ctx: CaseContext, *, amount: Decimal, terms: Terms, proposed_by: str
) -> Arrangement:
    """A new proposed arrangement; the case may have only one proposed or active at a time."""
    case = ctx.case
    _ensure_open(ctx)
    arrangements = ArrangementRepository(ctx.session)
    existing = await arrangements.open_for_case(case.id)
    if existing is not None:
        raise ArrangementExistsError(
            f"arrangement {existing.id} is {existing.status}; reject it or let it end first.",
            arrangement_id=str(existing.id),
        )
    problems = _term_problems(ctx, amount, terms)
    if problems:
        raise InvalidArrangementError("; ".join(problems) + ".")
    plan = terms if isinstance(terms, InstalmentPlanTerms) else None
    arrangement = Arrangement(
        id=uuid.uuid4(),
        case_id=case.id,
        kind="instalment_plan" if plan else "deferral",
        status="proposed",
        amount=amount,
        currency=case.currency,
        frequency=plan.frequency if plan else None,
        instalment_count=plan.count if plan else None,
        first_due_date=plan.first_due if plan else None,
        deferred_to=terms.deferred_to if isinstance(terms, DeferralTerms) else None,
        proposed_by=proposed_by,
        proposed_on=ctx.business_date,
        created_at=utc_now(),
    )
    await arrangements.add(arrangement)
    await _record(ctx, arrangement, f"{_describe(arrangement)} proposed by {proposed_by}.")
    return arrangement


def credential_role(claimed: ApproverRole, may_supervise: bool) -> ApproverRole:
    """The role an approval counts with: never more than the caller's credential grants."""
    if claimed == "supervisor" and not may_supervise:
        raise SupervisorApprovalRequiredError(
            "approver_role supervisor needs a credential with the arrangements:approve scope."
        )
    return claimed


async def approve(
    ctx: CaseContext,
    arrangement: Arrangement,
    *,
    approver: str,
    approver_role: ApproverRole,
    actor: str | None = None,
) -> Arrangement:
    """Approve and activate a proposed arrangement: its schedule becomes the instalments due.

    ``actor`` is who the audit log names (the authenticated caller); ``approver`` if none.
    """
    _ensure_transition(arrangement, "approve")
    _ensure_open(ctx)
    threshold = ctx.policy.arrangements.supervisor_approval_above
    if arrangement.amount > threshold and approver_role != "supervisor":
        raise SupervisorApprovalRequiredError(
            f"arrangements above {_money(ctx, threshold)} need an approver with the "
            "supervisor role."
        )
    problems = _term_problems(ctx, arrangement.amount, terms_of(arrangement))
    if problems:
        raise ArrangementOutdatedError("; ".join(problems) + "; reject it and propose new terms.")
    arrangements = ArrangementRepository(ctx.session)
    await arrangements.add_instalments(
        [
            ArrangementInstalment(
                arrangement_id=arrangement.id,
                number=number,
                due_date=due,
                amount=amount,
                paid_amount=Decimal(0),
                status="due",
            )
            for number, (due, amount) in enumerate(planned_schedule(arrangement), start=1)
        ]
    )
    arrangement.status = "active"
    arrangement.decided_by = approver
    arrangement.decided_role = approver_role
    arrangement.activated_on = ctx.business_date
    await arrangements.flush()
    await _record(
        ctx,
        arrangement,
        f"{_describe(arrangement)} approved by {approver} ({approver_role}) and active; "
        "collection is paused while it runs.",
    )
    await _audit(ctx, arrangement, "arrangement.approved", actor or approver, approver_role)
    return arrangement


async def reject(
    ctx: CaseContext,
    arrangement: Arrangement,
    *,
    approver: str,
    reason: str,
    actor: str | None = None,
) -> Arrangement:
    """Reject a proposed arrangement; ``actor`` as in ``approve``."""
    _ensure_transition(arrangement, "reject")
    arrangement.status = "rejected"
    arrangement.decided_by = approver
    arrangement.decision_reason = reason
    arrangement.ended_on = ctx.business_date
    await ArrangementRepository(ctx.session).flush()
    await _record(ctx, arrangement, f"{_describe(arrangement)} rejected by {approver}: {reason}")
    await _audit(ctx, arrangement, "arrangement.rejected", actor or approver, None)
    return arrangement


async def apply_payment_to_arrangement(ctx: CaseContext, amount: Decimal) -> None:
    """Fill the active arrangement's instalments in order; all paid completes it."""
    arrangements = ArrangementRepository(ctx.session)
    arrangement = await arrangements.active_for_case(ctx.case.id)
    if arrangement is None or amount <= 0:
        return
    instalments = await arrangements.instalments(arrangement.id)
    remaining = amount
    for instalment in instalments:
        if remaining <= 0:
            break
        share = min(instalment.amount - instalment.paid_amount, remaining)
        if share <= 0:
            continue
        instalment.paid_amount += share
        remaining -= share
        if instalment.paid_amount >= instalment.amount:
            instalment.status = "paid"
    if any(instalment.status != "paid" for instalment in instalments):
        await arrangements.flush()
        return
    arrangement.status = "completed"
    arrangement.ended_on = ctx.business_date
    await arrangements.flush()
    await _record(ctx, arrangement, f"{_describe(arrangement)} completed: every instalment paid.")
    await advance(ctx)


async def check_arrangements(ctx: CaseContext) -> None:
    """Break the active arrangement when an instalment is unpaid past its date plus grace.

    Idempotent: a broken arrangement is no longer active, so a second run finds nothing.
    """
    case = ctx.case
    if case.status != "open":
        return
    arrangements = ArrangementRepository(ctx.session)
    arrangement = await arrangements.active_for_case(case.id)
    if arrangement is None:
        return
    grace = ctx.policy.arrangements.grace_days
    cutoff = ctx.business_date - timedelta(days=grace)
    missed = [
        instalment
        for instalment in await arrangements.instalments(arrangement.id)
        if instalment.due_date < cutoff and instalment.paid_amount < instalment.amount
    ]
    if not missed:
        return
    for instalment in missed:
        instalment.status = "missed"
    arrangement.status = "broken"
    arrangement.ended_on = ctx.business_date
    case.broken_arrangements += 1
    await arrangements.flush()
    first = missed[0]
    await _record(
        ctx,
        arrangement,
        f"{_describe(arrangement)} broken: instalment {first.number} of "
        f"{_money(ctx, first.amount)} due {first.due_date} unpaid after the {grace}-day grace "
        f"({_money(ctx, first.paid_amount)} paid); collection resumes.",
    )
    await advance(ctx)


def terms_of(arrangement: Arrangement) -> Terms:
    if arrangement.kind == "deferral":
        assert arrangement.deferred_to is not None
        return DeferralTerms(deferred_to=arrangement.deferred_to)
    assert arrangement.instalment_count is not None
    assert arrangement.first_due_date is not None
    return InstalmentPlanTerms(
        count=arrangement.instalment_count,
        frequency=cast(Frequency, arrangement.frequency),
        first_due=arrangement.first_due_date,
    )


def planned_schedule(arrangement: Arrangement) -> list[tuple[date, Decimal]]:
    """The instalments the terms give (a deferral is one instalment of the whole amount)."""
    terms = terms_of(arrangement)
    if isinstance(terms, DeferralTerms):
        return [(terms.deferred_to, to_minor_digits(arrangement.amount, arrangement.currency))]
    return instalment_schedule(
        arrangement.amount, arrangement.currency, terms.count, terms.frequency, terms.first_due
    )


async def arrangement_to_decide(session: AsyncSession, arrangement_id: uuid.UUID) -> Arrangement:
    """The arrangement, read (again) after the caller locked its case."""
    arrangement = await ArrangementRepository(session).get(arrangement_id)
    if arrangement is None:
        raise ArrangementNotFoundError(f"no arrangement {arrangement_id}")
    return arrangement


async def instalments_of(
    session: AsyncSession, arrangement: Arrangement
) -> list[ArrangementInstalment]:
    return list(await ArrangementRepository(session).instalments(arrangement.id))


async def arrangements_of_case(
    session: AsyncSession, case_id: uuid.UUID
) -> list[tuple[Arrangement, list[ArrangementInstalment]]]:
    if await CaseRepository(session).get(case_id) is None:
        raise CaseNotFoundError(f"no case {case_id}")
    arrangements = ArrangementRepository(session)
    found = list(await arrangements.for_case(case_id))
    instalments = await arrangements.instalments_of([a.id for a in found])
    return [(arrangement, instalments[arrangement.id]) for arrangement in found]


def _term_problems(ctx: CaseContext, amount: Decimal, terms: Terms) -> list[str]:
    """Everything wrong with the terms today, in words an agent can act on."""
    case, policy, today = ctx.case, ctx.policy.arrangements, ctx.business_date
    latest = today + timedelta(days=policy.max_deferral_days)
    problems: list[str] = []
    if amount <= 0:
        problems.append("the amount must be positive")
    elif not fits_minor_units(amount, case.currency):
        problems.append(f"the amount has more decimals than {case.currency} allows")
    elif amount > case.total_due:
        problems.append(f"the amount exceeds the {_money(ctx, case.total_due)} due")
    if isinstance(terms, DeferralTerms):
        if not today < terms.deferred_to <= latest:
            problems.append(
                f"the new due date must be after {today} and at most "
                f"{policy.max_deferral_days} days later"
            )
        return problems
    if not 1 <= terms.count <= policy.max_instalments:
        problems.append(f"the plan may have 1 to {policy.max_instalments} instalments")
    elif amount > 0 and amount.scaleb(minor_units(case.currency)) < terms.count:
        problems.append("every instalment must be at least one minor unit")
    if not today <= terms.first_due <= latest:
        problems.append(
            f"the first instalment must be due from {today} to at most "
            f"{policy.max_deferral_days} days later"
        )
    return problems


def _ensure_open(ctx: CaseContext) -> None:
    if ctx.case.status != "open":
        raise ArrangementCaseClosedError(f"case {ctx.case.id} is {ctx.case.status}.")


def _ensure_transition(arrangement: Arrangement, action: str) -> None:
    if arrangement.status != "proposed":
        raise ArrangementTransitionError(
            f"only a proposed arrangement can be {action}d; this one is {arrangement.status}.",
            arrangement_status=arrangement.status,
        )


async def _record(ctx: CaseContext, arrangement: Arrangement, summary: str) -> None:
    await ctx.events.record(
        ctx.case,
        ctx.policy,
        CaseArrangementChanged,
        summary,
        arrangement_id=arrangement.id,
        kind=arrangement.kind,
        arrangement_status=arrangement.status,
        amount=to_minor_digits(arrangement.amount, arrangement.currency),
    )


async def _audit(
    ctx: CaseContext,
    arrangement: Arrangement,
    action: str,
    actor: str,
    approver_role: ApproverRole | None,
) -> None:
    # The amount is what the approval rule weighed (supervisor_approval_above); the rejection
    # reason is free text and stays on the arrangement.
    await record_decision(
        ctx.session,
        actor=actor,
        action=action,
        case_id=ctx.case.id,
        details={
            "arrangement_id": str(arrangement.id),
            "kind": arrangement.kind,
            "amount": str(to_minor_digits(arrangement.amount, arrangement.currency)),
            "currency": arrangement.currency,
            "decided_by": arrangement.decided_by,
            "approver_role": approver_role,
        },
    )


def _describe(arrangement: Arrangement) -> str:
    total = Money(arrangement.amount, arrangement.currency).formatted()
    if arrangement.kind == "deferral":
        return f"Deferral of {total} to {arrangement.deferred_to}"
    return (
        f"Instalment plan for {total}: {arrangement.instalment_count} "
        f"{arrangement.frequency} instalments from {arrangement.first_due_date}"
    )


def _money(ctx: CaseContext, amount: Decimal) -> str:
    return Money(amount, ctx.case.currency).formatted()
