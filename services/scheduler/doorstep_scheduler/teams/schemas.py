"""Teams, collectors and absences API."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from doorstep_scheduler.teams.fields import (
    HolidayCountry,
    IanaZone,
    LanguageTag,
    LocalTime,
    SkillSlug,
    VisitsPerDay,
    Weekday,
)
from doorstep_scheduler.teams.models import Collector, CollectorAbsence, Team

_TEAM_ID = "3f0c9a4e-8d1b-4b6a-9c2e-1a7d5e4f3b21"
_COLLECTOR_ID = "9b1d7c2a-4e5f-4a3b-8c6d-2e1f0a9b8c7d"
_CREATED_AT = "2026-12-01T08:30:00Z"

_NAME = "Unique team name."
_REGION = "Territory the team covers; only visits in this region are planned for it."
_ZONE = "IANA zone the members' working hours and days off are read in."
_BASE = "Where the team's routes start and end. A team without a base is not planned."
_HOLIDAYS = (
    "ISO 3166-1 alpha-2 country whose national public holidays the team does not work "
    "(on top of the rule pack's)."
)
_TEAM_CAPACITY = "Visits the team can make in one working day, however many members go out."
_COLLECTOR_CAPACITY = "Visits this collector can make in one working day."
_EMPLOYEE_REF = "The bank's or agency's unique staff number."
_COLLECTOR_NAME = "The collector's name (staff data: shown in the API, never logged)."
_HOURS = "Local working hours, read in the team's time zone."
_TEAM_OF = "The collector's team; null: in no team (not planned)."
_LANGUAGES = (
    "BCP 47 tags the collector speaks (en, zh-CN...), normalised to the usual case. A team "
    "speaks every language of its members."
)
_SKILLS = "Short lowercase slugs a visit may require (e.g. vehicle-finance, sme)."
_WEEKDAYS = "The collector's working weekdays, 0 = Monday … 6 = Sunday."


def _refuse_nulls(model: BaseModel, fields: tuple[str, ...]) -> None:
    # In a partial update a missing field is kept and null clears; these fields cannot clear.
    nulled = [f for f in fields if f in model.model_fields_set and getattr(model, f) is None]
    if nulled:
        raise ValueError(f"cannot be null: {', '.join(nulled)}")


def _weekdays(days: list[int]) -> list[int]:
    if len(set(days)) != len(days):
        raise ValueError("each weekday at most once")
    return sorted(days)


def _distinct(values: list[str]) -> list[str]:
    # After normalisation "EN" and "en" are one language: keep the first, in order.
    return list(dict.fromkeys(values))


Weekdays = Annotated[
    list[Weekday],
    Field(min_length=1, max_length=7, description=_WEEKDAYS),
    AfterValidator(_weekdays),
]
Languages = Annotated[
    list[LanguageTag],
    Field(min_length=1, max_length=20, description=_LANGUAGES),
    AfterValidator(_distinct),
]
Skills = Annotated[
    list[SkillSlug], Field(max_length=20, description=_SKILLS), AfterValidator(_distinct)
]


class AbsenceReason(StrEnum):
    LEAVE = "leave"
    SICKNESS = "sickness"
    TRAINING = "training"
    OTHER = "other"


class BasePoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-90, le=90, examples=[51.5416])
    longitude: float = Field(ge=-180, le=180, examples=[-0.1426])


class WorkingHours(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"start": "09:00", "end": "18:00"}]}
    )

    start: LocalTime = Field(description="Local start of the working day.", examples=["09:00"])
    end: LocalTime = Field(
        description="Local end of the working day, after the start.", examples=["17:30"]
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end <= self.start:
            raise ValueError("the working day must end after it starts (no night shifts)")
        return self


# --- teams ---

_TEAM_INPUT: dict[str, Any] = {
    "name": "London North",
    "region": "london",
    "timezone": "Europe/London",
    "base": {"latitude": 51.5416, "longitude": -0.1426},
    "holiday_country": "GB",
    "max_visits_per_day": 8,
}


class TeamCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_TEAM_INPUT]}
    )

    name: str = Field(min_length=1, max_length=100, description=_NAME)
    region: str | None = Field(default=None, min_length=1, max_length=64, description=_REGION)
    timezone: IanaZone = Field(description=_ZONE)
    base: BasePoint | None = Field(default=None, description=_BASE)
    holiday_country: HolidayCountry | None = Field(default=None, description=_HOLIDAYS)
    max_visits_per_day: VisitsPerDay = Field(description=_TEAM_CAPACITY)


class TeamUpdate(BaseModel):
    """Only the fields sent change; null clears region, base or holiday_country."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"base": {"latitude": 51.5033, "longitude": -0.0195}},
                {"active": False},
            ]
        },
    )

    name: str | None = Field(default=None, min_length=1, max_length=100, description=_NAME)
    active: bool | None = Field(
        default=None, description="false: the team is no longer planned (it keeps its members)."
    )
    region: str | None = Field(default=None, min_length=1, max_length=64, description=_REGION)
    timezone: IanaZone | None = Field(default=None, description=_ZONE)
    base: BasePoint | None = Field(default=None, description=_BASE)
    holiday_country: HolidayCountry | None = Field(default=None, description=_HOLIDAYS)
    max_visits_per_day: VisitsPerDay | None = Field(default=None, description=_TEAM_CAPACITY)

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        _refuse_nulls(self, ("name", "active", "timezone", "max_visits_per_day"))
        return self


class TeamMember(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    active: bool


class TeamRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _TEAM_ID,
                    **_TEAM_INPUT,
                    "active": True,
                    "members": [
                        {"id": _COLLECTOR_ID, "name": "Amira Khan", "active": True},
                        {
                            "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                            "name": "Tom Price",
                            "active": True,
                        },
                    ],
                    "size": 2,
                    "created_at": _CREATED_AT,
                    "updated_at": _CREATED_AT,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    active: bool = Field(description="Only active teams are planned.")
    region: str | None
    timezone: str
    base: BasePoint | None
    holiday_country: str | None
    max_visits_per_day: int
    members: list[TeamMember] = Field(description="Every member, active or not, by name.")
    size: int = Field(
        description=(
            "Active members. The rule pack's minimum team size (two in the CN pack) must be "
            "available on a day for the team to go out."
        )
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, team: Team, members: Sequence[Collector]) -> TeamRead:
        latitude, longitude = team.base_latitude, team.base_longitude
        return cls(
            id=team.id,
            name=team.name,
            active=team.active,
            region=team.region,
            timezone=team.timezone,
            base=(
                BasePoint(latitude=latitude, longitude=longitude)
                if latitude is not None and longitude is not None
                else None
            ),
            holiday_country=team.holiday_country,
            max_visits_per_day=team.max_visits_per_day,
            members=[TeamMember.model_validate(member) for member in members],
            size=sum(member.active for member in members),
            created_at=team.created_at,
            updated_at=team.updated_at,
        )


class TeamList(BaseModel):
    items: list[TeamRead] = Field(description="Every team, active or not, ordered by name.")


# --- collectors ---

_COLLECTOR_INPUT: dict[str, Any] = {
    "employee_ref": "E10442",
    "name": "Amira Khan",
    "team_id": _TEAM_ID,
    "working_hours": {"start": "09:00", "end": "17:30"},
    "working_weekdays": [0, 1, 2, 3, 4],
    "languages": ["en", "ur"],
    "skills": ["vehicle-finance"],
    "max_visits_per_day": 8,
}


class CollectorCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [_COLLECTOR_INPUT]},
    )

    employee_ref: str = Field(min_length=1, max_length=64, description=_EMPLOYEE_REF)
    name: str = Field(min_length=1, max_length=100, description=_COLLECTOR_NAME)
    team_id: uuid.UUID | None = Field(default=None, description=_TEAM_OF)
    working_hours: WorkingHours = Field(description=_HOURS)
    working_weekdays: Weekdays
    languages: Languages
    skills: Skills = Field(default_factory=list)
    max_visits_per_day: VisitsPerDay = Field(description=_COLLECTOR_CAPACITY)


class CollectorUpdate(BaseModel):
    """Only the fields sent change; ``team_id: null`` takes the collector out of their team."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"team_id": "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"},
                {"working_hours": {"start": "10:00", "end": "19:00"}, "working_weekdays": [1, 2]},
                {"active": False},
            ]
        },
    )

    employee_ref: str | None = Field(
        default=None, min_length=1, max_length=64, description=_EMPLOYEE_REF
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=100, description=_COLLECTOR_NAME
    )
    working_hours: WorkingHours | None = Field(default=None, description=_HOURS)
    team_id: uuid.UUID | None = Field(default=None, description=_TEAM_OF)
    active: bool | None = Field(default=None, description="false: no longer planned.")
    working_weekdays: Weekdays | None = None
    languages: Languages | None = None
    skills: Skills | None = None
    max_visits_per_day: VisitsPerDay | None = Field(default=None, description=_COLLECTOR_CAPACITY)

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        _refuse_nulls(
            self,
            (
                "employee_ref",
                "name",
                "active",
                "working_hours",
                "working_weekdays",
                "languages",
                "skills",
                "max_visits_per_day",
            ),
        )
        return self


class CollectorRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _COLLECTOR_ID,
                    **_COLLECTOR_INPUT,
                    "active": True,
                    "created_at": _CREATED_AT,
                    "updated_at": _CREATED_AT,
                }
            ]
        }
    )

    id: uuid.UUID
    employee_ref: str
    name: str
    team_id: uuid.UUID | None
    active: bool = Field(description="Only active collectors count towards a team's size.")
    working_hours: WorkingHours
    working_weekdays: list[int]
    languages: list[str]
    skills: list[str]
    max_visits_per_day: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, collector: Collector) -> CollectorRead:
        return cls(
            id=collector.id,
            employee_ref=collector.employee_ref,
            name=collector.name,
            team_id=collector.team_id,
            active=collector.active,
            working_hours=WorkingHours(start=collector.work_start, end=collector.work_end),
            working_weekdays=collector.working_weekdays,
            languages=collector.languages,
            skills=collector.skills,
            max_visits_per_day=collector.max_visits_per_day,
            created_at=collector.created_at,
            updated_at=collector.updated_at,
        )


class CollectorList(BaseModel):
    items: list[CollectorRead] = Field(description="Matching collectors, ordered by name.")


# --- absences ---


class AbsenceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"first_day": "2026-12-21", "last_day": "2027-01-01", "reason": "leave"}]
        },
    )

    first_day: date = Field(description="First local day off.")
    last_day: date = Field(description="Last local day off (the same day for one day).")
    reason: AbsenceReason = Field(description="leave, sickness, training or other.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        return self


class AbsenceRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b",
                    "collector_id": _COLLECTOR_ID,
                    "first_day": "2026-12-21",
                    "last_day": "2027-01-01",
                    "reason": "leave",
                    "created_at": _CREATED_AT,
                }
            ]
        },
    )

    id: uuid.UUID
    collector_id: uuid.UUID
    first_day: date
    last_day: date
    reason: AbsenceReason
    created_at: datetime

    @classmethod
    def of(cls, absence: CollectorAbsence) -> AbsenceRead:
        return cls.model_validate(absence)


class AbsenceList(BaseModel):
    items: list[AbsenceRead] = Field(description="The collector's absences by first day.")
