"""The ladder's rules: one step at a time, prerequisites first, with a reason for each step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from doorstep_case_api.cases.ladder import LadderFacts, entry_stage, next_step
from doorstep_case_api.policy.model import CollectionPolicy, load_policy

POLICY = load_policy().for_product("personal-loan")
TODAY = date(2026, 11, 28)
NO_FACTS = LadderFacts(
    days_past_due=45,
    business_date=TODAY,
    first_notice_sent_on=None,
    visit_attempted_on=None,
    broken_promises=0,
    broken_arrangements=0,
    paused=False,
)


def walk(facts: LadderFacts, start: str = "reminder") -> list[str]:
    stages = [start]
    while (step := next_step(POLICY, stages[-1], facts)) is not None:
        stages.append(step.stage.name)
    return stages


def test_a_jump_to_45_dpd_still_starts_at_the_first_stage() -> None:
    entry = entry_stage(POLICY, 45)
    assert entry.stage.name == "reminder"
    assert "field" in entry.reason


def test_without_a_notice_the_case_waits_at_the_first_stage() -> None:
    assert walk(NO_FACTS) == ["reminder"]


def test_a_notice_opens_contact_but_field_waits_the_notice_period() -> None:
    noticed = replace(NO_FACTS, first_notice_sent_on=TODAY - timedelta(days=3))
    assert walk(noticed) == ["reminder", "contact"]
    waited = replace(NO_FACTS, first_notice_sent_on=TODAY - timedelta(days=7))
    assert walk(waited) == ["reminder", "contact", "field"]
    step = next_step(POLICY, "contact", waited)
    assert step is not None
    assert "overdue notice sent on 2026-11-21" in step.reason


def test_legal_needs_a_visit_or_a_broken_promise_even_at_120_dpd() -> None:
    ready = replace(NO_FACTS, days_past_due=120, first_notice_sent_on=TODAY - timedelta(days=30))
    assert walk(ready) == ["reminder", "contact", "field"]
    visited = replace(ready, visit_attempted_on=TODAY)
    assert walk(visited)[-1] == "legal"


def test_two_broken_promises_escalate_to_legal_before_its_dpd() -> None:
    in_field = replace(NO_FACTS, days_past_due=40, first_notice_sent_on=TODAY - timedelta(days=20))
    assert walk(in_field) == ["reminder", "contact", "field"]
    once = replace(in_field, broken_promises=1)
    assert walk(once, "field") == ["field"]
    twice = replace(in_field, broken_promises=2)
    step = next_step(POLICY, "field", twice)
    assert step is not None
    assert step.stage.name == "legal"
    assert "2 broken promises" in step.reason


def test_a_paused_case_does_not_advance() -> None:
    paused = replace(NO_FACTS, first_notice_sent_on=TODAY - timedelta(days=30), paused=True)
    assert walk(paused) == ["reminder"]


def test_falling_dpd_moves_the_case_back_but_never_out_of_legal() -> None:
    lower = replace(NO_FACTS, days_past_due=5)
    step = next_step(POLICY, "field", lower)
    assert step is not None
    assert step.stage.name == "reminder"
    assert next_step(POLICY, "legal", lower) is None


@pytest.mark.parametrize(
    "stages",
    [
        [{"name": "a", "min_dpd": 2, "treatment": "notice"}],
        [
            {"name": "a", "min_dpd": 1, "max_dpd": 10, "treatment": "notice"},
            {"name": "b", "min_dpd": 12, "treatment": "contact"},
        ],
        [{"name": "a", "min_dpd": 1, "max_dpd": 10, "treatment": "notice"}],
        [
            {"name": "a", "min_dpd": 1, "max_dpd": 10, "treatment": "notice"},
            {"name": "a", "min_dpd": 11, "treatment": "contact"},
        ],
    ],
)
def test_a_broken_ladder_is_refused_at_start_up(stages: list[dict[str, object]]) -> None:
    product = load_policy().products["default"].model_dump()
    product["stages"] = stages
    with pytest.raises(ValidationError):
        CollectionPolicy.model_validate({"products": {"default": product}})
