"""The latest moment an appointment notice may go out: the pack's notice period before the visit.

A notice that could only go out later (the contact rules defer it past that moment, or it was
not sent in time) is not sent at all: the visit could not lawfully go ahead on it, and a late
notice tells the customer less than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from doorstep_shared.contact_rules import RulePack, visit_conduct

DOORSTEP_POLICY = "Doorstep policy"


def _hours(period: timedelta) -> str:
    return f"{period.total_seconds() / 3600:g} h"


@dataclass(frozen=True, slots=True)
class NoticeDeadline:
    latest: datetime  # window_start - notice_period
    period: timedelta
    rule_id: str  # the pack rule the period comes from, else "Doorstep policy"

    @classmethod
    def of(cls, pack: RulePack, window_start: datetime) -> NoticeDeadline:
        conduct = visit_conduct(pack)
        return cls(
            latest=window_start - conduct.notice_period,
            period=conduct.notice_period,
            rule_id=conduct.rule_ids[0] if conduct.rule_ids else DOORSTEP_POLICY,
        )

    def missed_at(self, moment: datetime) -> bool:
        """True if a notice sent at ``moment`` comes too late."""
        return moment > self.latest

    @property
    def reason(self) -> str:
        """``too late for the 48 h notice period (uk.conc.7_9_12.visit_notice)``."""
        return f"too late for the {_hours(self.period)} notice period ({self.rule_id})"
