"""Why a visit cannot be planned whatever the other visits do: checked before the solver runs.

What is left for the solver to decide is room (capacity and time on the team-days); a visit it
drops is ``capacity``. The checks run in a fixed order so the reason names the first missing
thing: a team-day at all, the language, the skills, the region, hours that meet the window.
"""

from __future__ import annotations

from collections.abc import Sequence

from doorstep_scheduler.planning.problem import TeamDay, VisitDemand

NO_TEAM_DAY = "no_team_day"
NO_LANGUAGE = "no_language"
NO_SKILL = "no_skill"
NO_TEAM_IN_REGION = "no_team_in_region"
WINDOW_OUTSIDE_TEAM_HOURS = "window_outside_team_hours"
CAPACITY = "capacity"
TEAM_DAY_UNAVAILABLE = "team_day_unavailable"

REASONS = {
    NO_TEAM_DAY: "no team can work on any day of the planning horizon",
    NO_LANGUAGE: "no team working in the horizon speaks the visit's language",
    NO_SKILL: "no team with the visit's language has the skills the visit needs",
    NO_TEAM_IN_REGION: "no team with the visit's language and skills works in its region",
    WINDOW_OUTSIDE_TEAM_HOURS: (
        "the visit's windows do not meet the working hours of any compatible team, "
        "counting the drive from and back to its base"
    ),
    CAPACITY: "no room on a compatible team-day in the horizon",
}


def serves(team_day: TeamDay, demand: VisitDemand) -> bool:
    """Language, skills and region (when both name one) allow this team-day to go."""
    return (
        demand.language in team_day.languages
        and demand.skills <= team_day.skills
        and (team_day.region is None or demand.region is None or team_day.region == demand.region)
    )


def compatible(demand: VisitDemand, team_days: Sequence[TeamDay]) -> tuple[str | None, list[int]]:
    """The team-days (indices) whose language, skills and region allow the visit, or the stable
    code of the first of these no team-day offers. Whether the visit also fits a team-day's
    hours is the caller's check (``WINDOW_OUTSIDE_TEAM_HOURS``)."""
    if not team_days:
        return NO_TEAM_DAY, []
    speaking = [i for i, t in enumerate(team_days) if demand.language in t.languages]
    if not speaking:
        return NO_LANGUAGE, []
    skilled = [i for i in speaking if demand.skills <= team_days[i].skills]
    if not skilled:
        return NO_SKILL, []
    local = [i for i in skilled if serves(team_days[i], demand)]
    if not local:
        return NO_TEAM_IN_REGION, []
    return None, local
