"""Collector API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CollectorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(
        min_length=1, max_length=100, description="Unique team name.", examples=["Team North"]
    )
    max_visits_per_day: int = Field(
        ge=1, le=24, description="Visits the team can make in one working day.", examples=[6]
    )


class CollectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    active: bool = Field(description="Only active collectors are given visits.")
    max_visits_per_day: int
    created_at: datetime


class CollectorList(BaseModel):
    items: list[CollectorRead] = Field(description="All collectors, ordered by name.")
