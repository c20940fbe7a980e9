"""Visit read API. Never the collector's notes, nor the customer's name and address (terms)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from doorstep_shared.money import to_minor_digits


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    status: str = Field(examples=["unassigned", "scheduled", "checked_in", "completed"])
    attempt: int = Field(description="1 for the stage's first visit; a re-visit counts up.")
    priority: int
    team_id: uuid.UUID | None = Field(description="The team the visit is planned for.")
    plan_day: date | None = Field(description="The team's local working date.")
    route_position: int | None = Field(description="Stop number on the team's route that day.")
    window_start: datetime | None = Field(description="Appointment window told to the customer.")
    window_end: datetime | None
    service_start: datetime | None = Field(description="Planned arrival at the door.")
    notice_status: str | None = Field(
        examples=["pending", "sent", "failed"],
        description="The appointment notice; a visit goes ahead only once it was sent.",
    )
    unassigned_code: str | None = Field(examples=["awaiting_plan", "no_team_capacity"])
    unassigned_reason: str | None = Field(description="Why the visit has no team or slot yet.")
    checked_in_at: datetime | None
    check_in_distance_meters: float | None = Field(
        description="How far from the visit address the team checked in."
    )
    check_in_far: bool | None = Field(
        description="The check-in was farther from the address than the allowed radius."
    )
    outcome: str | None = Field(examples=["met", "not_home", "promise_to_pay"])
    outcome_at: datetime | None
    promise_amount: Decimal | None
    promise_currency: str | None
    promise_date: date | None
    recording_ref: str | None = Field(description="Reference of the visit's recording.")
    cancel_reason: str | None
    trigger_event_id: str = Field(description="ce_id of the case event that requested it.")
    created_at: datetime
    cancelled_at: datetime | None

    @model_validator(mode="after")
    def _promise_in_minor_digits(self) -> VisitRead:
        # The column keeps four decimals; show the amount as the currency writes it (500.00).
        if self.promise_amount is not None and self.promise_currency is not None:
            self.promise_amount = to_minor_digits(self.promise_amount, self.promise_currency)
        return self

    @computed_field(  # type: ignore[prop-decorator]
        description="The check-in fell outside the appointment window told to the customer."
    )
    @property
    def checked_in_outside_window(self) -> bool | None:
        if self.checked_in_at is None or self.window_start is None or self.window_end is None:
            return None
        return not self.window_start <= self.checked_in_at <= self.window_end


class VisitList(BaseModel):
    items: list[VisitRead] = Field(description="Matching visits, newest first.")
