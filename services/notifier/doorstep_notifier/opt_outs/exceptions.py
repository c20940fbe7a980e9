from __future__ import annotations

from doorstep_shared.errors import NotFoundError


class OptOutUnmatchedError(NotFoundError):
    type_slug = "opt-out-unmatched"
    title = "No message matches the opt-out"
