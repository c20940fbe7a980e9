"""Every ORM model of case-api, imported so Alembic and the app see all tables."""

from doorstep_case_api.accounts.models import Account, Customer
from doorstep_case_api.cases.models import Case, TimelineEntry

__all__ = ["Account", "Case", "Customer", "TimelineEntry"]
