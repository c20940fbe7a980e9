"""Personal data as a caller without ``pii:read`` sees it: enough to tell records apart, not
enough to contact or identify anyone."""

from __future__ import annotations

HIDDEN = "***"


def mask_phone(phone: str) -> str:
    """``+8613800138000`` -> ``+86*******8000``: the country prefix and last four digits."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str) -> str:
    """``li.wei@example.com`` -> ``l***@example.com``."""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return HIDDEN
    return f"{local[0]}{HIDDEN}@{domain}"


def mask_name(name: str) -> str:
    """``Li Wei`` -> ``L* W**``: each word's first letter."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split()) or HIDDEN
