"""Delivery receipts the SMS gateway posts back."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class SmsReceipt(BaseModel):
    message_id: str | None = Field(
        default=None,
        max_length=128,
        description="The gateway's id of the message, as it answered the send.",
    )
    reference: uuid.UUID | None = Field(
        default=None, description="The reference Doorstep sent: the notification id."
    )
    status: Literal["delivered", "failed"] = Field(description="Final delivery state.")
    reason: str | None = Field(
        default=None, max_length=500, description="Why it failed, as the gateway says it."
    )

    @model_validator(mode="after")
    def _names_the_message(self) -> SmsReceipt:
        if self.message_id is None and self.reference is None:
            raise ValueError("a receipt needs message_id or reference")
        return self


class ReceiptRead(BaseModel):
    notification_id: uuid.UUID
    delivery_status: Literal["delivered", "failed"] = Field(
        description="The notice's delivery state after this receipt (the first receipt wins)."
    )
    applied: bool = Field(description="False when an earlier receipt had already settled it.")
