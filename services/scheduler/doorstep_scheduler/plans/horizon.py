"""The days one plan covers: from today through the next N working days."""

from __future__ import annotations

from datetime import date, timedelta


def planning_days(today: date, working_days: int) -> tuple[date, ...]:
    """Calendar days from ``today`` until ``working_days`` weekdays are covered. Weekends in
    between are included: a team that works Saturdays can use them; team-days decide."""
    days = []
    weekdays = 0
    day = today
    while weekdays < working_days:
        days.append(day)
        if day.weekday() < 5:
            weekdays += 1
        day += timedelta(days=1)
    return tuple(days)
