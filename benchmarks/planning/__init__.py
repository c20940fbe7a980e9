"""Planning benchmark: the scheduler's own planner on a realistic instance.

Builds a deterministic instance the way the scheduler does (teams and collectors through
``build_team_days``, each visit's windows through ``lawful_visit_windows`` under the AU pack:
clustered addresses in three cities and zones, mixed customer windows and languages, late
notices, days off), plans it with ``PyVrpPlanner`` under the service's budget and under a long
budget (the reference), checks both plans with ``check_plan`` and writes
``benchmarks/results/planning.json``.

    python -m benchmarks.planning.run --visits 2000 --teams 100 --days 5 --seed 1

Modules: ``instance`` (the generator), ``run`` (the entry point).
"""
