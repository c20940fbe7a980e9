"""Who is calling, and what they may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    ACCOUNTS_WRITE = "accounts:write"  # core banking: snapshots and payments
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    ARRANGEMENTS_APPROVE = "arrangements:approve"  # supervisors
    VISITS_READ = "visits:read"
    VISITS_WRITE = "visits:write"
    PII_READ = "pii:read"  # unmasked personal data (every read is audited)
    ADMIN = "admin"  # API keys, business date, evaluations, collector teams
    # Service credentials: each is limited to the personal data its service needs.
    CONTACT_NOTIFY = "contact:notify"  # notifier: name, phone, e-mail, postal address
    CONTACT_VISIT = "contact:visit"  # scheduler: name, postal address, coordinates


ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    ``subject`` identifies the credential in audit entries and logs ("key:<prefix>" or
    "jwt:<sub>"); it never holds a customer's personal data. A principal with a ``team_id``
    (a collector) sees only that team's visits and agenda.
    """

    subject: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    team_id: uuid.UUID | None = None
    credential: str = "api_key"

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def has_all(self, scopes: frozenset[str]) -> bool:
        return scopes <= self.scopes
