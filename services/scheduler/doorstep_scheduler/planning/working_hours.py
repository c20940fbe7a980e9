"""Working days and visit slots in the planning time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from doorstep_scheduler.planning.model import TimeWindow

_FRIDAY = 4


@dataclass(frozen=True, slots=True)
class WorkingHours:
    timezone: ZoneInfo
    day_start: time
    day_end: time
    slot: timedelta
    horizon_days: int

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    def candidate_days(self, now: datetime) -> list[date]:
        """Mon–Fri within the horizon, starting the day after ``now``'s local date.

        Never the same day: the visit needs notice (and today's slots may have passed).
        """
        today = self.local_date(now)
        days = (today + timedelta(days=offset) for offset in range(1, self.horizon_days + 1))
        return [day for day in days if day.weekday() <= _FRIDAY]

    def slots_on(self, day: date) -> list[TimeWindow]:
        """Back-to-back slots from the day's start; a slot that would end late is dropped."""
        start = datetime.combine(day, self.day_start, tzinfo=self.timezone)
        day_end = datetime.combine(day, self.day_end, tzinfo=self.timezone)
        slots = []
        while start + self.slot <= day_end:
            slots.append(TimeWindow(start.astimezone(UTC), (start + self.slot).astimezone(UTC)))
            start += self.slot
        return slots

    def horizon(self, now: datetime) -> TimeWindow:
        """From local midnight after ``now`` to the end of the last day searched."""
        today = self.local_date(now)
        first = datetime.combine(today + timedelta(days=1), time(0), tzinfo=self.timezone)
        after_last = datetime.combine(
            today + timedelta(days=self.horizon_days + 1), time(0), tzinfo=self.timezone
        )
        return TimeWindow(first.astimezone(UTC), after_last.astimezone(UTC))
