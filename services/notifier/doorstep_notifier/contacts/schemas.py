"""case-api's contact answer, as the notifier reads it. Personal data: kept out of reprs."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from doorstep_shared.case_api_contact import TOLERANT, ContactAddress, LocalHours


class ContactPreferences(BaseModel):
    model_config = TOLERANT

    preferred_hours: list[LocalHours] | None = None
    refused_channels: list[str] = Field(default_factory=list)
    cease_contact: bool = False


class Contact(BaseModel):
    model_config = TOLERANT

    case_id: uuid.UUID
    name: str = Field(repr=False)
    phone: str | None = Field(default=None, repr=False)
    email: str | None = Field(default=None, repr=False)
    address: ContactAddress | None = None
    timezone: str | None = None  # missing: the rule engine derives it (coordinates, phone)
    preferred_language: str = "en"
    contact_preferences: ContactPreferences = Field(default_factory=ContactPreferences)


def with_refusals(contact: Contact, channels: set[str]) -> Contact:
    """The contact with ``channels`` added to the media the customer refused (opt-outs)."""
    if not channels:
        return contact
    stated = contact.contact_preferences
    refused = sorted(set(stated.refused_channels) | channels)
    preferences = stated.model_copy(update={"refused_channels": refused})
    return contact.model_copy(update={"contact_preferences": preferences})
