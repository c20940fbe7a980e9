"""Entry point: ``python -m benchmarks.planning.run --visits 2000 --teams 100 --days 5 --seed 1``.

Builds the instance as a ``PlanningProblem`` (``instance``), plans it with the scheduler's own
``PyVrpPlanner`` under the service's budget and under a long budget (the reference), checks
both plans with the independent ``check_plan``, prints the figures and writes
``benchmarks/results/planning.json``. Exit status 1 if either plan breaks a rule.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.planning.instance import PACK, Instance, generate
from doorstep_scheduler.planning.checker import check_plan
from doorstep_scheduler.planning.solver import SOLVER, PyVrpPlanner
from doorstep_scheduler.planning.travel import HaversineTravel

RESULTS = Path(__file__).resolve().parent.parent / "results"
TRAVEL = HaversineTravel(speed_kmh=30.0, detour_factor=1.3)


def _measure(instance: Instance, seconds: float, seed: int) -> dict[str, object]:
    planner = PyVrpPlanner(TRAVEL, time_budget_seconds=seconds, seed=seed)
    started = time.perf_counter()
    result = planner.plan(instance.problem)
    elapsed = time.perf_counter() - started
    violations = check_plan(instance.problem, result, TRAVEL)
    return {
        "budget_seconds": seconds,
        "planning_seconds": round(elapsed, 2),
        "travel_hours": round(result.travel.total_seconds() / 3600, 2),
        "visits_planned": len(result.stops),
        "visits_unplanned": len(result.unplanned),
        "unplanned_by_reason": dict(Counter(u.reason_code for u in result.unplanned)),
        "team_days_used": len({(s.team_id, s.day) for s in result.stops}),
        "violations": len(violations),
        "violation_examples": violations[:10],
        "solver_stats": result.stats,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=8.0, help="the service's budget, s")
    parser.add_argument("--reference", type=float, default=120.0, help="reference budget, s")
    parser.add_argument("--out", type=Path, default=RESULTS / "planning.json")
    args = parser.parse_args(argv)

    instance = generate(args.visits, args.teams, args.days, args.seed)
    print(
        f"instance: {args.visits} visits, {len(instance.problem.team_days)} team-days "
        f"({instance.excluded_team_days} excluded), built in {instance.build_seconds:.2f} s",
        flush=True,
    )
    service = _measure(instance, args.budget, args.seed)
    print(f"service budget: {json.dumps(service)}", flush=True)
    reference = _measure(instance, args.reference, args.seed)
    print(f"reference: {json.dumps(reference)}", flush=True)

    reference_hours = float(str(reference["travel_hours"]))
    service_hours = float(str(service["travel_hours"]))
    gap = 100 * (service_hours - reference_hours) / reference_hours if reference_hours else 0.0
    result = {
        "solver": SOLVER,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "instance": {
            "visits": args.visits,
            "teams": args.teams,
            "days": args.days,
            "seed": args.seed,
            "pack": PACK.key,
            "team_days": len(instance.problem.team_days),
            "team_days_excluded": instance.excluded_team_days,
            "visits_by_customer_window": instance.visits_by_window,
            "travel_model": repr(TRAVEL),
            "build_seconds": round(instance.build_seconds, 2),
        },
        "service": service,
        "reference": reference,
        "travel_gap_percent": round(gap, 2),
        "planned_difference_service_minus_reference": int(str(service["visits_planned"]))
        - int(str(reference["visits_planned"])),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{SOLVER}: {args.budget:g} s budget -> {service['planning_seconds']} s, "
        f"{service_hours} h, {service['visits_planned']} planned, "
        f"{service['violations']} violations | {args.reference:g} s reference -> "
        f"{reference_hours} h, {reference['visits_planned']} planned, "
        f"{reference['violations']} violations | travel gap {gap:+.2f}% -> {args.out}",
        flush=True,
    )
    return 1 if service["violations"] or reference["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
