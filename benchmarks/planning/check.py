"""Independent feasibility checker: trusts nothing the solver says except the plan itself.

Arrival times are recomputed from the travel matrix; the planned start of each stop must be
reachable, inside the customer window and inside the team's shift, with the team home in time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from benchmarks.planning.instance import Instance
from benchmarks.planning.plan import Plan


@dataclass(slots=True)
class CheckResult:
    violations: Counter[str] = field(default_factory=Counter)
    travel_seconds: int = 0
    planned: int = 0
    dropped: int = 0

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())


def check(instance: Instance, plan: Plan) -> CheckResult:
    result = CheckResult()
    matrix = instance.matrix()
    seen: Counter[int] = Counter()
    team_days: Counter[tuple[int, int]] = Counter()

    for route in plan.routes:
        if not route.stops:
            continue
        if not (0 <= route.team < len(instance.teams) and 0 <= route.day < instance.days):
            result.violations["unknown_team_or_day"] += 1
            continue
        team_days[route.team, route.day] += 1
        team = instance.teams[route.team]
        if len(route.stops) > team.max_visits_per_day:
            result.violations["capacity"] += 1
        position = instance.team_node(route.team)
        free_at = team.shift_start  # the team leaves home no earlier than its shift start
        for stop in route.stops:
            visit = instance.visits[stop.visit]
            seen[stop.visit] += 1
            node = instance.visit_node(stop.visit)
            leg = matrix[position][node]
            result.travel_seconds += leg
            if visit.language not in team.languages:
                result.violations["language"] += 1
            if stop.start < free_at + leg:
                result.violations["unreachable_start"] += 1
            if stop.start < visit.window_start or stop.start + visit.service > visit.window_end:
                result.violations["customer_window"] += 1
            if stop.start < team.shift_start or stop.start + visit.service > team.shift_end:
                result.violations["team_shift"] += 1
            free_at = max(free_at + leg, stop.start) + visit.service
            position = node
        leg_home = matrix[position][instance.team_node(route.team)]
        result.travel_seconds += leg_home
        if free_at + leg_home > team.shift_end:
            result.violations["home_after_shift"] += 1

    result.violations["team_day_used_twice"] += sum(n - 1 for n in team_days.values() if n > 1)
    result.violations["visit_planned_twice"] += sum(n - 1 for n in seen.values() if n > 1)
    result.violations["planned_and_dropped"] += sum(1 for v in plan.dropped if v in seen)
    missing = set(range(len(instance.visits))) - set(seen) - set(plan.dropped)
    result.violations["neither_planned_nor_dropped"] += len(missing)
    result.violations["dropped_without_reason"] += sum(1 for r in plan.dropped.values() if not r)
    result.violations = Counter({k: n for k, n in result.violations.items() if n})
    result.planned = len(seen)
    result.dropped = len(plan.dropped)
    return result
