"""Which channel a notice goes by, and to what address."""

from __future__ import annotations

from dataclasses import dataclass, field

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.providers.base import Channel


@dataclass(frozen=True, slots=True)
class Destination:
    channel: Channel
    recipient: str = field(repr=False)


def possible_destinations(contact: Contact) -> list[Destination]:
    """Every channel the contact data allows, in order of preference: SMS, e-mail, letter."""
    found = []
    if contact.phone:
        found.append(Destination("sms", contact.phone))
    if contact.email:
        found.append(Destination("email", contact.email))
    address = contact.address
    if address is not None and address.line1 and address.city and address.country:
        locality = " ".join(
            part for part in (address.postal_code, address.city, address.region) if part
        )
        lines = [contact.name, address.line1, address.line2, locality, address.country]
        found.append(Destination("letter", "\n".join(line for line in lines if line)))
    return found


def choose_destination(contact: Contact) -> Destination | None:
    """SMS if there is a phone, else e-mail, else a letter, skipping channels the customer
    refused; None if none is possible.

    When every possible channel is refused the first one is still returned: the contact rules
    then suppress it, and say which refusal stopped it.
    """
    possible = possible_destinations(contact)
    refused = set(contact.contact_preferences.refused_channels)
    welcome = [destination for destination in possible if destination.channel not in refused]
    return next(iter(welcome or possible), None)
