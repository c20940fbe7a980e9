"""Recording a customer's visit terms, from core banking's snapshot or from operations.

Both sources replace the terms whole. Nothing here goes into a case event: the terms hold
repayment capacity (personal financial data) and a place kind such as "hospital", and the
scheduler reads them with the contact data, where every read is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.audit_trail import record_decision
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.visit_terms.models import VisitTerms
from doorstep_case_api.visit_terms.repository import VisitTermsRepository
from doorstep_case_api.visit_terms.schemas import (
    ReportedVisitTerms,
    VisitTermsRead,
    VisitTermsUpdate,
)
from doorstep_shared.clock import utc_now
from doorstep_shared.money import to_minor_digits


@dataclass(frozen=True, slots=True)
class Consent:
    recorded_at: datetime
    recorded_by: str


class VisitTermsService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._terms = VisitTermsRepository(session)

    async def of_customer(self, customer_id: uuid.UUID) -> VisitTermsRead:
        return VisitTermsRead.of(await self._terms.get(customer_id))

    async def record_reported(
        self, customer_id: uuid.UUID, reported: ReportedVisitTerms, now: datetime
    ) -> None:
        """Core banking's terms replace the stored ones, consent included."""
        consent = None
        if reported.visit_consent_recorded_at and reported.visit_consent_recorded_by:
            consent = Consent(
                reported.visit_consent_recorded_at, reported.visit_consent_recorded_by
            )
        await self._terms.replace(customer_id, _columns(reported, consent, now))

    async def replace(
        self, case_id: uuid.UUID, update: VisitTermsUpdate, *, actor: str
    ) -> VisitTermsRead:
        """Operations' terms for the case's customer. Consent given now is recorded as now and
        by ``actor`` (the caller's credential). Consent already recorded for the same kind of place
        keeps its who and when, so sending the same terms again changes nothing about it."""
        customer_id = await self._terms.customer_id_of_case(case_id)
        if customer_id is None:
            raise CaseNotFoundError(f"no case {case_id}")
        now = utc_now()
        stored = await self._terms.get(customer_id, for_update=True)
        previous = _recorded_consent(stored)
        # Consent is to visits at this kind of place: a new kind needs it recorded anew.
        same_place = stored is not None and stored.address_kind == update.address_kind
        consent = None
        if update.visit_consent_recorded:
            consent = (previous if same_place else None) or Consent(now, actor)
        columns = _columns(update, consent, now)
        await self._terms.replace(customer_id, columns)
        # Decisions only: the place kind and the amounts stay out of the long-lived log.
        await record_decision(
            self._session,
            actor=actor,
            action="visit_terms.replaced",
            case_id=case_id,
            details={
                "visit_consent_recorded": consent is not None,
                "consent_changed": consent != previous,
            },
        )
        return VisitTermsRead.of(VisitTerms(customer_id=customer_id, **columns))


def _recorded_consent(stored: VisitTerms | None) -> Consent | None:
    if stored is None or not stored.visit_consent_recorded:
        return None
    if stored.visit_consent_recorded_at is None or stored.visit_consent_recorded_by is None:
        return None
    return Consent(stored.visit_consent_recorded_at, stored.visit_consent_recorded_by)


def _columns(
    terms: ReportedVisitTerms | VisitTermsUpdate, consent: Consent | None, now: datetime
) -> dict[str, Any]:
    capacity = terms.repayment_capacity
    return {
        "address_kind": terms.address_kind,
        "visit_consent_recorded": consent is not None,
        "visit_consent_recorded_at": consent.recorded_at if consent else None,
        "visit_consent_recorded_by": consent.recorded_by if consent else None,
        "visit_windows": [window.model_dump() for window in terms.visit_windows],
        "monthly_income": (
            to_minor_digits(capacity.monthly_income, capacity.currency) if capacity else None
        ),
        "monthly_obligations": (
            to_minor_digits(capacity.monthly_obligations, capacity.currency) if capacity else None
        ),
        "capacity_currency": capacity.currency if capacity else None,
        "capacity_assessed_on": capacity.assessed_on if capacity else None,
        "updated_at": now,
    }
