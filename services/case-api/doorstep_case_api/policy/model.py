"""The collection policy per product: ladder stages, charges, promise and arrangement rules.

Loaded from TOML and validated at start-up; a bad file stops the service with a clear error.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_POLICY_FILE = Path(__file__).with_name("default.toml")

Treatment = Literal["notice", "contact", "field_visit", "legal_review"]
Fact = Literal["visit_attempted", "promise_broken", "arrangement_broken"]
ArrearsPart = Literal["principal", "interest", "fees", "penalties"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class StageRequirements(BaseModel):
    model_config = _STRICT

    notice_sent: bool = False
    days_since_first_notice: int = Field(default=0, ge=0)
    any_of: tuple[Fact, ...] = ()


class StagePolicy(BaseModel):
    model_config = _STRICT

    name: str = Field(pattern=r"^[a-z_]+$")
    min_dpd: int = Field(ge=1)
    max_dpd: int | None = None
    treatment: Treatment
    requires: StageRequirements = StageRequirements()
    escalate_after_broken_promises: int | None = Field(default=None, ge=1)

    def covers(self, days_past_due: int) -> bool:
        return days_past_due >= self.min_dpd and (
            self.max_dpd is None or days_past_due <= self.max_dpd
        )

    def describe(self) -> str:
        upper = f"–{self.max_dpd}" if self.max_dpd is not None else "+"
        return f"{self.name} (DPD {self.min_dpd}{upper})"


class ChargesPolicy(BaseModel):
    model_config = _STRICT

    daily_penalty_rate: Decimal = Field(ge=0, le=Decimal("0.01"))
    late_fee: Decimal = Field(ge=0)
    cap_ratio_of_principal: Decimal = Field(ge=0, le=1)


class PromisePolicy(BaseModel):
    model_config = _STRICT

    grace_days: int = Field(default=1, ge=0, le=30)


class ArrangementPolicy(BaseModel):
    model_config = _STRICT

    grace_days: int = Field(default=5, ge=0, le=60)
    max_instalments: int = Field(default=24, ge=1, le=120)
    max_deferral_days: int = Field(default=90, ge=1, le=365)
    supervisor_approval_above: Decimal = Field(ge=0)


class ProductPolicy(BaseModel):
    model_config = _STRICT

    allocation_order: tuple[ArrearsPart, ...]
    charges: ChargesPolicy
    promises: PromisePolicy = PromisePolicy()
    arrangements: ArrangementPolicy
    stages: tuple[StagePolicy, ...]

    @model_validator(mode="after")
    def _consistent(self) -> ProductPolicy:
        if sorted(self.allocation_order) != sorted(("principal", "interest", "fees", "penalties")):
            raise ValueError("allocation_order must name each arrears part exactly once")
        if not self.stages:
            raise ValueError("a ladder needs at least one stage")
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be unique")
        if self.stages[0].min_dpd != 1:
            raise ValueError("the first stage must start at 1 day past due")
        for lower, upper in zip(self.stages, self.stages[1:], strict=False):
            if lower.max_dpd is None or upper.min_dpd != lower.max_dpd + 1:
                raise ValueError(
                    f"stages {lower.name} and {upper.name} must be contiguous DPD ranges"
                )
        if self.stages[-1].max_dpd is not None:
            raise ValueError("the last stage must be open-ended (no max_dpd)")
        return self

    def stage(self, name: str) -> StagePolicy:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def index(self, name: str) -> int:
        return [stage.name for stage in self.stages].index(name)

    @cached_property
    def field_visit_stages(self) -> frozenset[str]:
        return frozenset(s.name for s in self.stages if s.treatment == "field_visit")


class CollectionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    products: dict[str, ProductPolicy]

    @model_validator(mode="after")
    def _has_default(self) -> CollectionPolicy:
        if "default" not in self.products:
            raise ValueError("the policy needs a [products.default] section")
        return self

    def for_product(self, product: str) -> ProductPolicy:
        return self.products.get(product) or self.products["default"]


def load_policy(path: Path | None = None) -> CollectionPolicy:
    source = path or DEFAULT_POLICY_FILE
    with source.open("rb") as handle:
        return CollectionPolicy.model_validate(tomllib.load(handle))
