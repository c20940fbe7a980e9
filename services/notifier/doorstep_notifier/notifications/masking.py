"""Recipients as the API shows them: enough to tell them apart, not enough to contact anyone."""

from __future__ import annotations

from doorstep_shared.security.masking import HIDDEN as _HIDDEN
from doorstep_shared.security.masking import mask_email, mask_phone

__all__ = ["mask_email", "mask_phone", "mask_postal", "mask_recipient"]


def mask_postal(recipient: str) -> str:
    """A postal address block -> ``***, CN``: only its last line, the country code."""
    lines = [line for line in recipient.splitlines() if line.strip()]
    country = lines[-1].strip() if len(lines) > 1 else ""
    return f"{_HIDDEN}, {country}" if len(country) == 2 else _HIDDEN


def mask_recipient(channel: str, recipient: str) -> str:
    if channel == "sms":
        return mask_phone(recipient)
    if channel == "email":
        return mask_email(recipient)
    if channel == "letter":
        return mask_postal(recipient)
    return _HIDDEN
