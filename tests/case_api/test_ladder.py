"""The default ladder covers every DPD exactly once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep_case_api.cases.ladder import DEFAULT_LADDER, stage_for


@pytest.mark.parametrize(
    ("dpd", "stage"),
    [
        (0, "current"),
        (1, "reminder"),
        (15, "reminder"),
        (16, "contact"),
        (30, "contact"),
        (31, "field"),
        (90, "field"),
        (91, "legal"),
        (5000, "legal"),
    ],
)
def test_stage_boundaries(dpd: int, stage: str) -> None:
    assert stage_for(dpd).name == stage


@given(st.integers(min_value=0, max_value=100_000))
def test_exactly_one_stage_covers_any_dpd(dpd: int) -> None:
    covering = [
        s for s in DEFAULT_LADDER if s.min_dpd <= dpd and (s.max_dpd is None or dpd <= s.max_dpd)
    ]
    assert len(covering) == 1
    assert stage_for(dpd) == covering[0]
