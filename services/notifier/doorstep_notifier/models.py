"""Every ORM model of the notifier, imported so Alembic and the app see all tables."""

from doorstep_notifier.cases.models import CaseView
from doorstep_notifier.decisions.models import ContactDecisionRecord
from doorstep_notifier.notifications.models import Notification
from doorstep_notifier.opt_outs.models import OptOut
from doorstep_notifier.providers.models import LocalMessage

__all__ = ["CaseView", "ContactDecisionRecord", "LocalMessage", "Notification", "OptOut"]
