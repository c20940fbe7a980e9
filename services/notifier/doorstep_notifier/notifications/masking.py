"""Recipients as the API shows them: enough to tell them apart, not enough to contact anyone."""

from __future__ import annotations

_HIDDEN = "***"


def mask_phone(phone: str) -> str:
    """``+8613800138000`` -> ``+86*******8000``: the country prefix and last four digits."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str) -> str:
    """``li.wei@example.com`` -> ``l***@example.com``."""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return _HIDDEN
    return f"{local[0]}{_HIDDEN}@{domain}"


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
