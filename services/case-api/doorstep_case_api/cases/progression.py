"""Moving a case along its ladder, recording each step with its reason."""

from __future__ import annotations

from doorstep_case_api.cases.context import CaseContext
from doorstep_case_api.cases.ladder import LadderFacts, Step, next_step
from doorstep_case_api.cases.models import StageTransition
from doorstep_case_api.legal.models import LegalReferral
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseStageChanged
from doorstep_shared.money import Money


async def ladder_facts(ctx: CaseContext) -> LadderFacts:
    case = ctx.case
    paused = bool(await ctx.cases.active_hold_types(case.id)) or (
        await ctx.cases.has_active_arrangement(case.id)
    )
    return LadderFacts(
        days_past_due=case.days_past_due,
        business_date=ctx.business_date,
        first_notice_sent_on=case.first_notice_sent_on,
        visit_attempted_on=case.visit_attempted_on,
        broken_promises=case.broken_promises,
        broken_arrangements=case.broken_arrangements,
        paused=paused,
    )


async def advance(ctx: CaseContext) -> int:
    """Take every step the ladder allows now (each one event); returns the number taken."""
    if ctx.case.status != "open":
        return 0
    taken = 0
    while (step := next_step(ctx.policy, ctx.case.stage, await ladder_facts(ctx))) is not None:
        await enter_stage(ctx, step)
        taken += 1
    return taken


async def enter_stage(ctx: CaseContext, step: Step) -> None:
    case = ctx.case
    previous = case.stage
    case.stage = step.stage.name
    case.stage_entered_on = ctx.business_date
    ctx.cases.add_stage_transition(
        StageTransition(
            case_id=case.id,
            from_stage=previous,
            to_stage=step.stage.name,
            business_date=ctx.business_date,
            reason=step.reason,
            created_at=utc_now(),
        )
    )
    if step.stage.treatment == "legal_review":
        ctx.session.add(
            LegalReferral(
                case_id=case.id,
                status="in_review",
                entered_on=ctx.business_date,
                trigger=step.reason,
                created_at=utc_now(),
            )
        )
    total = Money(case.total_due, case.currency).formatted()
    await ctx.events.record(
        case,
        ctx.policy,
        CaseStageChanged,
        f"Stage {previous} → {step.stage.name}: {step.reason}; {total} due.",
        previous_stage=previous,
        reason=step.reason,
    )
