"""The strategy ladder: which stage a case may be in, one step at a time, and why.

A case enters the next stage only when its DPD (or an escalation) reaches it *and* the stage's
prerequisites hold, so no step is ever skipped: a feed that jumps from 0 to 45 DPD still starts
at the first stage and waits for the overdue notice before a visit can be planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from doorstep_case_api.policy.model import ProductPolicy, StagePolicy, StageRequirements


@dataclass(frozen=True, slots=True)
class LadderFacts:
    days_past_due: int
    business_date: date
    first_notice_sent_on: date | None
    visit_attempted_on: date | None
    broken_promises: int
    broken_arrangements: int
    paused: bool


@dataclass(frozen=True, slots=True)
class Step:
    stage: StagePolicy
    reason: str


def unmet_requirements(requires: StageRequirements, facts: LadderFacts) -> list[str]:
    unmet = []
    if requires.notice_sent and facts.first_notice_sent_on is None:
        unmet.append("no overdue notice sent yet")
    if requires.days_since_first_notice and facts.first_notice_sent_on is not None:
        waited = (facts.business_date - facts.first_notice_sent_on).days
        if waited < requires.days_since_first_notice:
            unmet.append(
                f"{waited} of {requires.days_since_first_notice} days since the first notice"
            )
    if requires.any_of and not any(_holds(fact, facts) for fact in requires.any_of):
        unmet.append("none of: " + ", ".join(f.replace("_", " ") for f in requires.any_of))
    return unmet


def _holds(fact: str, facts: LadderFacts) -> bool:
    if fact == "visit_attempted":
        return facts.visit_attempted_on is not None
    if fact == "promise_broken":
        return facts.broken_promises > 0
    return facts.broken_arrangements > 0


def _met(requires: StageRequirements, facts: LadderFacts) -> str:
    met = []
    if requires.notice_sent and facts.first_notice_sent_on:
        met.append(f"overdue notice sent on {facts.first_notice_sent_on}")
    if requires.days_since_first_notice:
        met.append(f"{requires.days_since_first_notice}+ days since it")
    if requires.any_of:
        met += [f.replace("_", " ") for f in requires.any_of if _holds(f, facts)]
    return ", ".join(met)


def entry_stage(policy: ProductPolicy, days_past_due: int) -> Step:
    first = policy.stages[0]
    target = next((s for s in policy.stages if s.covers(days_past_due)), first)
    reason = f"every case starts at {first.describe()}"
    if target is not first:
        reason += f"; DPD {days_past_due} points to {target.name} once its prerequisites hold"
    return Step(first, reason)


def next_step(policy: ProductPolicy, current: str, facts: LadderFacts) -> Step | None:
    """The one move the case makes now, with its reason; None when it stays."""
    index = policy.index(current)
    stage = policy.stages[index]
    if facts.days_past_due < stage.min_dpd and index > 0 and stage.treatment != "legal_review":
        lower = next((s for s in policy.stages if s.covers(facts.days_past_due)), policy.stages[0])
        return Step(lower, f"DPD fell to {facts.days_past_due}: back to {lower.describe()}")
    if facts.paused or index + 1 == len(policy.stages):
        return None
    upcoming = policy.stages[index + 1]
    by_dpd = facts.days_past_due >= upcoming.min_dpd
    threshold = upcoming.escalate_after_broken_promises
    by_escalation = threshold is not None and facts.broken_promises >= threshold
    if not (by_dpd or by_escalation) or unmet_requirements(upcoming.requires, facts):
        return None
    why = (
        f"DPD {facts.days_past_due} reached {upcoming.describe()}"
        if by_dpd
        else f"{facts.broken_promises} broken promises escalate to {upcoming.name}"
    )
    met = _met(upcoming.requires, facts)
    return Step(upcoming, f"{why}; {met}" if met else why)
