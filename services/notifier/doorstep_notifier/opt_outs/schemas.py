"""Opt-outs over the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OptOutChannel = Literal["sms", "email", "letter"]


class OptOutCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"channel": "email"}]}
    )

    channel: OptOutChannel = Field(description="The medium the customer refused.")


class SmsOptOut(BaseModel):
    """A STOP reply the gateway forwards, naming the SMS it answered."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"message_id": "gw-123"}]}
    )

    message_id: str | None = Field(default=None, max_length=128)
    reference: uuid.UUID | None = Field(default=None, description="The notification id.")

    @model_validator(mode="after")
    def _names_the_message(self) -> SmsOptOut:
        if (self.message_id is None) == (self.reference is None):
            raise ValueError("give exactly one of message_id or reference")
        return self


class OptOutRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: uuid.UUID
    channel: OptOutChannel
    source: str = Field(examples=["sms-reply", "operations"])
    recorded_at: datetime


class OptOutList(BaseModel):
    items: list[OptOutRead]


class OptOutRecorded(BaseModel):
    case_id: uuid.UUID
    channel: OptOutChannel
    new: bool = Field(description="False when the customer had already opted out of it.")
    notices_rejudged: int = Field(description="Waiting notices made due to be judged again.")
