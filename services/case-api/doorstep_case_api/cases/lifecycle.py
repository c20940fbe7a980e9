"""Resolving a case: the end of collection, whatever ended it."""

from __future__ import annotations

from doorstep_case_api.cases.context import CaseContext
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseResolved


async def resolve_case(ctx: CaseContext, reason: str, summary: str) -> None:
    """Close the case; the event makes the notifier and scheduler cancel what is pending."""
    now = utc_now()
    case = ctx.case
    case.status = "resolved"
    case.resolved_at = now
    case.resolution_reason = reason
    await ctx.events.record(case, ctx.policy, CaseResolved, summary, reason=reason, resolved_at=now)
