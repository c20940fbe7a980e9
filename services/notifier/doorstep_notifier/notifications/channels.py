"""Which channel a notice goes by, and to what address."""

from __future__ import annotations

from dataclasses import dataclass, field

from doorstep_notifier.contacts.schemas import Contact
from doorstep_notifier.providers.base import Channel


@dataclass(frozen=True, slots=True)
class Destination:
    channel: Channel
    recipient: str = field(repr=False)


def choose_destination(contact: Contact) -> Destination | None:
    """SMS if there is a phone, else e-mail, else a letter; None if none is possible."""
    if contact.phone:
        return Destination("sms", contact.phone)
    if contact.email:
        return Destination("email", contact.email)
    address = contact.address
    if address is not None and address.line1 and address.city and address.country:
        locality = " ".join(
            part for part in (address.postal_code, address.city, address.region) if part
        )
        lines = [contact.name, address.line1, address.line2, locality, address.country]
        return Destination("letter", "\n".join(line for line in lines if line))
    return None
