"""Every ORM model of the scheduler, imported so Alembic and the app see all tables."""

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.teams.models import Collector, CollectorAbsence, Team
from doorstep_scheduler.visits.models import Visit, VisitPlan

__all__ = ["CaseView", "Collector", "CollectorAbsence", "Team", "Visit", "VisitPlan"]
