"""The customer's time zone, as the contact rules and the notices' local times take it."""

from __future__ import annotations

from doorstep_notifier.contacts.schemas import Contact
from doorstep_shared.contact_rules import ResolvedZone, resolve_timezone


def customer_zone(contact: Contact) -> ResolvedZone:
    """As recorded, else from the address's coordinates or the phone number;
    TimezoneUnresolvedError when none of them tells."""
    return resolve_timezone(
        contact.timezone,
        contact.address.latitude if contact.address else None,
        contact.address.longitude if contact.address else None,
        contact.phone,
    )
