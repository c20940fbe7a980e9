"""The default strategy ladder: which stage a case is in for its days past due."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    min_dpd: int
    max_dpd: int | None

    def describe(self) -> str:
        upper = f"–{self.max_dpd}" if self.max_dpd is not None else "+"
        return f"{self.name} (DPD {self.min_dpd}{upper})"


DEFAULT_LADDER: tuple[Stage, ...] = (
    Stage("current", 0, 0),
    Stage("reminder", 1, 15),
    Stage("contact", 16, 30),
    Stage("field", 31, 90),
    Stage("legal", 91, None),
)


def stage_for(days_past_due: int, ladder: tuple[Stage, ...] = DEFAULT_LADDER) -> Stage:
    for stage in ladder:
        if days_past_due >= stage.min_dpd and (
            stage.max_dpd is None or days_past_due <= stage.max_dpd
        ):
            return stage
    raise ValueError(f"no stage covers {days_past_due} days past due")
