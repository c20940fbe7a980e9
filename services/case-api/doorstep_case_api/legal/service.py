"""Legal review: the dossier, and the decision to hand a case over or send it back.

The ladder opens a referral (status ``in_review``) when a case enters a legal_review stage.
Operations then confirm it (the dossier is frozen on the referral and handed over) or return
it (the case goes back to the stage it came from and collection resumes there).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.audit_trail import record_decision
from doorstep_case_api.cases.context import CaseContext
from doorstep_case_api.cases.events import arrears_of, charges_of
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.cases.ladder import Step
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.progression import enter_stage
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.legal.exceptions import (
    LegalCaseClosedError,
    LegalReferralNotFoundError,
    NoReferralInReviewError,
)
from doorstep_case_api.legal.models import LegalReferral
from doorstep_case_api.legal.repository import CONTACT_EVENTS, VISIT_EVENTS, LegalRepository
from doorstep_case_api.legal.schemas import (
    ArrangementRecord,
    ChargeRecord,
    DoorstepCharges,
    Dossier,
    HoldRecord,
    InstalmentRecord,
    ItemisedBalance,
    PaymentRecord,
    PromiseRecord,
    ReportedArrears,
    StageRecord,
    TimelineRecord,
)
from doorstep_case_api.policy.model import ProductPolicy, StagePolicy
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseLegalReferralDecided
from doorstep_shared.money import to_minor_digits


@dataclass(frozen=True, slots=True)
class ReferralWithDossier:
    case: Case
    referral: LegalReferral
    dossier: Dossier


async def build_dossier(session: AsyncSession, case: Case, business_date: date) -> Dossier:
    """The case's itemised balance and every record legal needs, compiled now (read-only)."""
    records = LegalRepository(session)
    await records.flush()  # sessions do not autoflush: include this transaction's changes
    currency = case.currency

    def shown(amount: Decimal) -> Decimal:
        return to_minor_digits(amount, currency)

    arrears = arrears_of(case)
    charges = charges_of(case)
    return Dossier(
        case_id=case.id,
        product=case.product,
        stage=case.stage,
        days_past_due=case.days_past_due,
        opened_at=case.opened_at,
        business_date=business_date,
        vulnerable=case.vulnerability_category is not None,
        balance=ItemisedBalance(
            currency=currency,
            arrears=ReportedArrears(**arrears.model_dump(exclude={"currency"})),
            charges=DoorstepCharges(**charges.model_dump()),
            total_due=shown(case.total_due),
            as_of_date=case.as_of_date,
        ),
        fee_history=[
            ChargeRecord(
                kind=c.kind, amount=shown(c.amount), accrual_date=c.accrual_date, basis=c.basis
            )
            for c in await records.charges(case.id)
        ],
        payments=[
            PaymentRecord(
                reference=p.reference,
                amount=shown(p.amount),
                value_date=p.value_date,
                allocation=p.allocation,
            )
            for p in await records.payments(case.id)
        ],
        contact_history=[
            TimelineRecord(event_type=e.event_type, summary=e.summary, occurred_at=e.occurred_at)
            for e in await records.timeline_of_kind(case.id, CONTACT_EVENTS)
        ],
        visit_outcomes=[
            TimelineRecord(event_type=e.event_type, summary=e.summary, occurred_at=e.occurred_at)
            for e in await records.timeline_of_kind(case.id, VISIT_EVENTS)
        ],
        promises=[
            PromiseRecord(
                amount=shown(p.amount),
                promised_date=p.promised_date,
                channel=p.channel,
                source=p.source,
                recorded_by=p.recorded_by,
                recorded_on=p.recorded_on,
                status=p.status,
                paid_towards=shown(p.paid_towards),
                settled_on=p.settled_on,
            )
            for p in await records.promises(case.id)
        ],
        arrangements=[
            ArrangementRecord(
                kind=a.kind,
                status=a.status,
                amount=shown(a.amount),
                frequency=a.frequency,
                instalment_count=a.instalment_count,
                first_due_date=a.first_due_date,
                deferred_to=a.deferred_to,
                proposed_by=a.proposed_by,
                decided_by=a.decided_by,
                proposed_on=a.proposed_on,
                activated_on=a.activated_on,
                ended_on=a.ended_on,
                instalments=[
                    InstalmentRecord(
                        number=i.number,
                        due_date=i.due_date,
                        amount=shown(i.amount),
                        paid_amount=shown(i.paid_amount),
                        status=i.status,
                    )
                    for i in instalments
                ],
            )
            for a, instalments in await records.arrangements(case.id)
        ],
        stage_history=[
            StageRecord(
                from_stage=t.from_stage,
                to_stage=t.to_stage,
                business_date=t.business_date,
                reason=t.reason,
            )
            for t in await records.stage_history(case.id)
        ],
        holds=[
            HoldRecord(
                hold_type=h.hold_type,
                reason=h.reason,
                starts_on=h.starts_on,
                ends_on=h.ends_on,
                lifted_on=h.lifted_on,
                lift_reason=h.lift_reason,
            )
            for h in await records.holds(case.id)
        ],
    )


async def current_referral(
    session: AsyncSession, case_id: uuid.UUID, business_date: date
) -> ReferralWithDossier:
    """The case's newest referral with a dossier compiled now."""
    case = await CaseRepository(session).get(case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    referral = await LegalRepository(session).current_referral(case_id)
    if referral is None:
        raise LegalReferralNotFoundError(f"case {case_id} was never referred to legal review")
    return ReferralWithDossier(case, referral, await build_dossier(session, case, business_date))


async def confirm_referral(
    ctx: CaseContext, *, decided_by: str, reason: str | None, actor: str | None = None
) -> LegalReferral:
    """Hand the case over: the dossier as it stands today is stored on the referral.

    ``actor`` is who the audit log names (the authenticated caller); ``decided_by`` if none.
    """
    referral = await _referral_in_review(ctx)
    dossier = await build_dossier(ctx.session, ctx.case, ctx.business_date)
    _decide(referral, "confirmed", decided_by, reason)
    referral.dossier = dossier.model_dump(mode="json")
    await LegalRepository(ctx.session).flush()
    because = f": {reason}" if reason else ""
    await ctx.events.record(
        ctx.case,
        ctx.policy,
        CaseLegalReferralDecided,
        f"Legal referral confirmed by {decided_by}{because}. Dossier handed over.",
        referral_id=referral.id,
        decision="confirmed",
    )
    await _audit(ctx, referral, actor or decided_by, stage=ctx.case.stage)
    return referral


async def return_referral(
    ctx: CaseContext, *, decided_by: str, reason: str, actor: str | None = None
) -> LegalReferral:
    """Send the case back to the stage it came from; collection resumes there (``actor`` as
    in ``confirm_referral``)."""
    referral = await _referral_in_review(ctx)
    case = ctx.case
    back_to = await _stage_before_legal(ctx)
    _decide(referral, "returned", decided_by, reason)
    await LegalRepository(ctx.session).flush()
    await ctx.events.record(
        case,
        ctx.policy,
        CaseLegalReferralDecided,
        f"Legal referral returned by {decided_by}: {reason}.",
        referral_id=referral.id,
        decision="returned",
    )
    case.legal_returned_on = ctx.business_date
    # The facts that escalated the case have been judged and found not enough for legal action.
    # Counting them again would send the case straight back to legal at the next evaluation,
    # so escalation needs new ones: broken promises or arrangements after today, or a new
    # visit attempt (the visit fact is reset with them, for the same reason).
    case.broken_promises = 0
    case.broken_arrangements = 0
    case.visit_attempted_on = None
    await enter_stage(ctx, Step(back_to, f"returned from legal review by {decided_by}: {reason}"))
    await _audit(ctx, referral, actor or decided_by, stage=back_to.name)
    return referral


async def _referral_in_review(ctx: CaseContext) -> LegalReferral:
    case = ctx.case
    if case.status != "open":
        raise LegalCaseClosedError(f"case {case.id} is {case.status}; nothing to decide.")
    referral = await LegalRepository(ctx.session).current_referral(case.id)
    if referral is None or referral.status != "in_review":
        state = "no referral" if referral is None else f"its referral is {referral.status}"
        raise NoReferralInReviewError(f"case {case.id} has {state}; nothing to decide.")
    return referral


async def _stage_before_legal(ctx: CaseContext) -> StagePolicy:
    policy = ctx.policy
    previous = await LegalRepository(ctx.session).stage_before(ctx.case.id, ctx.case.stage)
    if previous is not None and _known(policy, previous):
        return policy.stage(previous)
    # No usable history (the policy renamed the stage since): the stage below this one.
    return policy.stages[max(policy.index(ctx.case.stage) - 1, 0)]


def _known(policy: ProductPolicy, stage: str) -> bool:
    return any(s.name == stage for s in policy.stages)


async def _audit(ctx: CaseContext, referral: LegalReferral, actor: str, *, stage: str) -> None:
    # The reason is free text about the customer; it stays on the referral.
    await record_decision(
        ctx.session,
        actor=actor,
        action=f"legal_referral.{referral.status}",
        case_id=ctx.case.id,
        details={
            "referral_id": str(referral.id),
            "decided_by": referral.decided_by,
            "stage": stage,
        },
    )


def _decide(referral: LegalReferral, status: str, decided_by: str, reason: str | None) -> None:
    referral.status = status
    referral.decided_by = decided_by
    referral.decided_at = utc_now()
    referral.decision_reason = reason
