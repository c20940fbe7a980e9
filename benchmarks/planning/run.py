"""Entry point: ``python -m benchmarks.planning.run --visits 2000 --teams 100 --days 5 --seed 1``.

For each installed solver: a short-budget solve (the scheduler's target: under 10 s for 2,000
visits) and a long-budget solve (the reference), both checked by ``check``; prints a table and
writes ``benchmarks/results/planning-<solver>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

from benchmarks.planning.check import check
from benchmarks.planning.instance import Instance, generate

SOLVERS = ("pyvrp", "ortools")
RESULTS = Path(__file__).resolve().parent.parent / "results"


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"benchmarks.planning.solve_{name}")
    except ImportError as exc:  # the solver is not installed: pip install -e '.[planning]'
        print(f"{name}: skipped ({exc})")
        return None


def _measure(
    solver: ModuleType, instance: Instance, seconds: float, seed: int
) -> dict[str, object]:
    started = time.perf_counter()
    plan, stats = solver.solve(instance, seconds, seed)
    elapsed = time.perf_counter() - started
    checked = check(instance, plan)
    return {
        "budget_seconds": seconds,
        "planning_seconds": round(elapsed, 2),
        "travel_hours": round(checked.travel_seconds / 3600, 2),
        "visits_planned": checked.planned,
        "visits_dropped": checked.dropped,
        "dropped_by_reason": dict(Counter(plan.dropped.values())),
        "team_days_used": sum(1 for r in plan.routes if r.stops),
        "violations": checked.total_violations,
        "violations_by_kind": dict(checked.violations),
        "solver": stats,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--short", type=float, default=8.0, help="short budget, seconds")
    parser.add_argument("--long", type=float, default=90.0, help="reference budget, seconds")
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    instance = generate(args.visits, args.teams, args.days, args.seed)
    started = time.perf_counter()
    instance.matrix()
    matrix_seconds = time.perf_counter() - started
    machine = {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    failed = False
    for name in args.solvers.split(","):
        solver = _load(name)
        if solver is None:
            continue
        short = _measure(solver, instance, args.short, args.seed)
        print(f"{name} short: {json.dumps(short)}", flush=True)
        reference = _measure(solver, instance, args.long, args.seed)
        print(f"{name} long: {json.dumps(reference)}", flush=True)
        reference_hours = float(reference["travel_hours"])  # type: ignore[arg-type]
        # Travel alone flatters a plan that drops visits: read it with the planned counts.
        ratio = float(short["travel_hours"]) / reference_hours if reference_hours else 0.0  # type: ignore[arg-type]
        result = {
            "solver": name,
            "solver_version": solver.VERSION,
            "machine": machine,
            "instance": {
                "visits": args.visits,
                "teams": args.teams,
                "days": args.days,
                "seed": args.seed,
                "travel_model": repr(instance.travel),
                "matrix_seconds": round(matrix_seconds, 2),
            },
            "short": short,
            "reference": reference,
            "travel_ratio_short_to_reference": round(ratio, 4),
            "planned_difference_short_minus_reference": int(short["visits_planned"])  # type: ignore[call-overload]
            - int(reference["visits_planned"]),  # type: ignore[call-overload]
        }
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"planning-{name}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(
            f"{name} {solver.VERSION}: short {short['planning_seconds']} s, "
            f"{short['travel_hours']} h, {short['visits_planned']} planned, "
            f"{short['violations']} violations | reference {reference['planning_seconds']} s, "
            f"{reference['travel_hours']} h, {reference['visits_planned']} planned, "
            f"{reference['violations']} violations | ratio {ratio:.4f} -> {path}",
            flush=True,
        )
        failed = failed or bool(short["violations"]) or bool(reference["violations"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
