"""Which of a customer's contact fields a caller may see, by the scopes of its credential.

* ``pii:read`` (a privacy-cleared person): every field.
* ``contact:notify`` (the notifier): name, phone, e-mail and postal address; no coordinates,
  no visit terms.
* ``contact:visit`` (the scheduler): name, postal address, coordinates and the visit terms
  (with the repayment capacity the visit plan weighs); no phone or e-mail.
* anyone else with ``cases:read``: masked values, enough to tell customers apart.

Every unmasked field served is named in the audit log by the router; values never are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.audit_trail import record_personal_data_read
from doorstep_case_api.cases.schemas import CaseContact, CaseContactAddress
from doorstep_case_api.cases.service import CaseQueryService
from doorstep_case_api.visit_terms.schemas import VisitTermsRead
from doorstep_shared.security.masking import HIDDEN, mask_email, mask_name, mask_phone
from doorstep_shared.security.principal import Principal, Scope

_POSTAL = frozenset(
    {
        "address.line1",
        "address.line2",
        "address.city",
        "address.region",
        "address.postal_code",
        "address.country",
    }
)
_COORDINATES = frozenset({"address.latitude", "address.longitude"})
# Served whole or not at all; the audit entry names its parts that hold something.
_VISIT_TERMS = "visit_terms"
_ALL = frozenset({"name", "phone", "email", _VISIT_TERMS}) | _POSTAL | _COORDINATES
_BY_SCOPE: dict[str, frozenset[str]] = {
    Scope.PII_READ: _ALL,
    Scope.CONTACT_NOTIFY: frozenset({"name", "phone", "email"}) | _POSTAL,
    Scope.CONTACT_VISIT: frozenset({"name", _VISIT_TERMS}) | _POSTAL | _COORDINATES,
}


@dataclass(frozen=True)
class Disclosure:
    contact: CaseContact
    disclosed: tuple[str, ...]  # unmasked fields with a value: what the audit entry names


def disclose(contact: CaseContact, caller: Principal) -> Disclosure:
    allowed = frozenset().union(*(_BY_SCOPE[s] for s in _BY_SCOPE if caller.has(s)))
    if not allowed:
        return Disclosure(_masked(contact), ())
    values = _flatten(contact)
    kept = {name: value if name in allowed else None for name, value in values.items()}
    address = {
        name.removeprefix("address."): v for name, v in kept.items() if name.startswith("address.")
    }
    terms = contact.visit_terms if _VISIT_TERMS in allowed else None
    shown = contact.model_copy(
        update={
            "name": kept["name"] or HIDDEN,
            "phone": kept["phone"],
            "email": kept["email"],
            "address": CaseContactAddress(**address),
            "visit_terms": terms,
        }
    )
    named = [name for name, value in kept.items() if value is not None]
    disclosed = tuple(sorted([*named, *_visit_terms_disclosed(terms)]))
    return Disclosure(shown, disclosed)


def _visit_terms_disclosed(terms: VisitTermsRead | None) -> list[str]:
    """The parts of the terms that say something about the customer: none while the terms
    are only the defaults (nothing reported or recorded yet)."""
    if terms is None or terms.updated_at is None:
        return []
    parts = ["visit_terms.address_kind", "visit_terms.visit_consent_recorded"]
    if terms.visit_windows:
        parts.append("visit_terms.visit_windows")
    if terms.repayment_capacity is not None:
        parts.append("visit_terms.repayment_capacity")
    return parts


def _flatten(contact: CaseContact) -> dict[str, object]:
    values: dict[str, object] = {
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
    }
    values.update({f"address.{key}": value for key, value in contact.address.model_dump().items()})
    return values


def _masked(contact: CaseContact) -> CaseContact:
    address = contact.address
    return contact.model_copy(
        update={
            "name": mask_name(contact.name),
            "phone": mask_phone(contact.phone) if contact.phone else None,
            "email": mask_email(contact.email) if contact.email else None,
            # Region and country stay: coarse, and what case filters work on.
            "address": CaseContactAddress(
                line1=HIDDEN if address.line1 else None,
                line2=HIDDEN if address.line2 else None,
                city=HIDDEN if address.city else None,
                region=address.region,
                postal_code=HIDDEN if address.postal_code else None,
                country=address.country,
                latitude=None,
                longitude=None,
            ),
            "visit_terms": None,
            "masked": True,
        }
    )


class ContactReader:
    """Serves contact data shaped to the caller, and audits every unmasked field in the same
    transaction: no personal data leaves without its audit entry."""

    def __init__(self, session: AsyncSession, personal_data: PersonalDataCodec) -> None:
        self._session = session
        self._personal_data = personal_data

    async def read(self, case_id: uuid.UUID, caller: Principal, purpose: str | None) -> CaseContact:
        contact = await CaseQueryService(self._session).contact(case_id, self._personal_data)
        shown = disclose(contact, caller)
        if shown.disclosed:
            await record_personal_data_read(
                self._session,
                actor=caller.subject,
                case_id=case_id,
                fields=shown.disclosed,
                purpose=purpose,
            )
        return shown.contact
