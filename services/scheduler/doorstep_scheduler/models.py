"""Every ORM model of the scheduler, imported so Alembic and the app see all tables."""

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.collectors.models import Collector
from doorstep_scheduler.visits.models import Visit

__all__ = ["CaseView", "Collector", "Visit"]
