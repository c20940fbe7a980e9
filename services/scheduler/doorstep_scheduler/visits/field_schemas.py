"""Field API: a team's agenda for the day, check-in at the door, the visit's outcome."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from doorstep_scheduler.visits.field_terms import field_terms
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.events.contracts import VisitOutcome
from doorstep_shared.money import KNOWN_CURRENCIES, fits_minor_units

NOTES_MAX_CHARS = 2000


class Coordinates(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class AgendaWindow(BaseModel):
    start: datetime
    end: datetime
    timezone: str | None = Field(description="The customer's IANA zone, when known.")
    local_start: datetime | None = Field(description="``start`` in the customer's zone.")
    local_end: datetime | None


class DoorAddress(BaseModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


class AgendaStop(BaseModel):
    visit_id: uuid.UUID
    case_id: uuid.UUID
    route_position: int | None
    status: str = Field(examples=["scheduled", "checked_in", "completed"])
    notice_status: str | None = Field(description="Only a visit whose notice was sent goes ahead.")
    attempt: int
    window: AgendaWindow | None
    service_start: datetime | None = Field(description="Planned arrival at the door.")
    coordinates: Coordinates | None = Field(description="Where the address is, for the map.")
    customer_name: str | None
    language: str | None = Field(description="BCP 47 tag of the customer's language.")
    address: DoorAddress | None
    address_kind: str | None = Field(examples=["home", "work"])
    outcome: str | None

    @classmethod
    def of(cls, visit: Visit) -> AgendaStop:
        terms = field_terms(visit)
        window = None
        if visit.window_start is not None and visit.window_end is not None:
            window = AgendaWindow(
                start=visit.window_start,
                end=visit.window_end,
                timezone=terms.zone.key if terms.zone is not None else None,
                local_start=terms.local(visit.window_start),
                local_end=terms.local(visit.window_end),
            )
        coordinates = None
        if visit.latitude is not None and visit.longitude is not None:
            coordinates = Coordinates(latitude=visit.latitude, longitude=visit.longitude)
        return cls(
            visit_id=visit.id,
            case_id=visit.case_id,
            route_position=visit.route_position,
            status=visit.status,
            notice_status=visit.notice_status,
            attempt=visit.attempt,
            window=window,
            service_start=visit.service_start,
            coordinates=coordinates,
            customer_name=terms.customer_name,
            language=terms.language,
            address=DoorAddress(**terms.address) if terms.address is not None else None,
            address_kind=terms.address_kind,
            outcome=visit.outcome,
        )


class TeamAgenda(BaseModel):
    team_id: uuid.UUID
    day: date = Field(description="The team's local working date.")
    count: int = Field(description="Visits on the team's route that day.")
    items: list[AgendaStop] = Field(description="In route order.")


class CheckInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-90, le=90, description="The team's position at the door.")
    longitude: float = Field(ge=-180, le=180)
    checked_in_at: AwareDatetime | None = Field(
        default=None, description="When the team arrived (with its UTC offset); default now."
    )


class PromiseTerms(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Decimal = Field(gt=0, description="Decimal string in the case's currency.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="Must be the case's currency.")
    # dt.date: a field called ``date`` would shadow the type in its own annotation.
    date: dt.date = Field(description="The customer's local date by which they will pay.")

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_string(cls, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("amounts are decimal strings, not JSON numbers")
        return value

    @model_validator(mode="after")
    def _fits_currency(self) -> PromiseTerms:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError("currency is not an ISO 4217 code")
        if not fits_minor_units(self.amount, self.currency):
            raise ValueError(f"amount has more decimals than {self.currency} allows")
        return self


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "outcome": "promise_to_pay",
                    "notes": "Customer lost a job in October; will pay from the first wage.",
                    "recording_ref": "rec-2026-12-07-0142",
                    "promise": {"amount": "500.00", "currency": "CNY", "date": "2026-12-20"},
                }
            ]
        },
    )

    outcome: VisitOutcome
    notes: str | None = Field(
        default=None,
        max_length=NOTES_MAX_CHARS,
        description="Stay in the scheduler: never published, never logged.",
    )
    recording_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The visit's audio/video recording; required where the pack records visits.",
    )
    promise: PromiseTerms | None = Field(
        default=None, description="Required for promise_to_pay, refused for any other outcome."
    )
