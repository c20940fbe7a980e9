"""Every ORM model of case-api, imported so Alembic and the app see all tables."""

from doorstep_case_api.accounts.models import Account, Customer
from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment
from doorstep_case_api.business_date.models import BusinessCalendar, EvaluationRun
from doorstep_case_api.cases.models import Case, StageTransition, TimelineEntry
from doorstep_case_api.charges.models import ChargeEntry
from doorstep_case_api.holds.models import Hold
from doorstep_case_api.legal.models import LegalReferral
from doorstep_case_api.operations.models import IdempotencyRecord
from doorstep_case_api.payments.models import Payment
from doorstep_case_api.promises.models import Promise
from doorstep_case_api.visit_terms.models import VisitTerms

__all__ = [
    "Account",
    "Arrangement",
    "ArrangementInstalment",
    "BusinessCalendar",
    "Case",
    "ChargeEntry",
    "Customer",
    "EvaluationRun",
    "Hold",
    "IdempotencyRecord",
    "LegalReferral",
    "Payment",
    "Promise",
    "StageTransition",
    "TimelineEntry",
    "VisitTerms",
]
