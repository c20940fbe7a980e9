"""Planning-solver benchmark: which vehicle-routing solver the scheduler should use.

Generates a deterministic, realistic planning instance (clustered city addresses, mixed customer
windows and languages, teams with home bases, shifts and a daily visit cap, N working days),
solves it with each installed solver (PyVRP, OR-Tools) under a short budget and under a long
budget (the reference), checks every plan with an independent feasibility checker and writes
``benchmarks/results/planning-<solver>.json``.

    python -m benchmarks.planning.run --visits 2000 --teams 100 --days 5 --seed 1

Modules: ``instance`` (generator and the ``TravelTimes`` interface), ``plan`` (the solver-neutral
plan and the reasons a visit is left out), ``solve_pyvrp`` / ``solve_ortools`` (the two models),
``check`` (the checker), ``run`` (the entry point). The scheduler service does not use any of it.
"""
