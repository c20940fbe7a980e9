"""Entry point: ``python -m benchmarks.pipeline.run`` (defaults: the full-size run).

Starts the broker and the three services on scratch PostgreSQL databases, one per service
(notifier provider ``local``), then, on that one platform:

1. **verify**: a few hundred accounts by single PUTs; each must get exactly one
   ``notification.sent`` entry on its case timeline, or the run stops (the figures would
   mean nothing);
2. **baseline**: raw aiokafka produce + consume of as many messages as the sustained run, of
   a case event's size, on the same broker;
3. **sustained**: ``--accounts`` overdue accounts as fast as the platform takes them (batch
   intake once case-api serves ``POST /v1/delinquency-batches``, else concurrent PUTs), at
   most ``--max-in-flight`` without an outcome yet, feeding for at most
   ``--sustained-seconds``: accounts/s from the first intake request to the last timeline
   entry recording a notice's outcome;
4. **paced**: single PUTs at ``--paced-rate`` for ``--paced-seconds``: end-to-end latency per
   account (PUT sent -> outcome written on the timeline), p50/p99; given up (and marked not
   sustained) once ``--max-lag`` seconds' worth of the accounts sent have no outcome yet;
5. **steady**: single PUTs at ``--steady-rate`` for ``--steady-minutes``: each process's RSS
   slope after a warm-up, and the latency again. ``auto`` takes 150/s, or 60% of the lowest
   throughput the sustained and paced phases measured when that is lower: a slope taken
   while a backlog grows would measure the backlog.

RSS and CPU of every service, the broker and the PostgreSQL backends are sampled each second
throughout; peaks come from VmHWM. Each phase ends only when nothing is in flight. Writes
``benchmarks/results/<--name>.json`` and prints a summary. Exit status 1 when verify fails.

A quick run (5 to 6 minutes on the 2-core project machine):
``--accounts 1000 --verify 50 --paced-seconds 10 --steady-minutes 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, write_result
from benchmarks.pipeline import baseline, phases
from benchmarks.pipeline.accounts import AccountSource, zone_at_noon
from benchmarks.pipeline.intake import Gate, Intake, IntakeStats
from benchmarks.pipeline.memory import ProcessWatch
from benchmarks.pipeline.observe import Databases
from benchmarks.pipeline.platform import SERVICE_NAMES, Platform
from benchmarks.pipeline.report import print_summary, say, write_profile_summary
from doorstep_shared.clock import utc_now

DEFAULT_STEADY_RATE = 150.0
# An "auto" steady rate stays this far below the slowest rate the platform was measured to
# get through (sustained phase, paced phase): a memory slope taken while a backlog grows
# would measure the backlog, not the services. The margin covers other users of the machine.
STEADY_SHARE_OF_CAPACITY = 0.6


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--accounts", type=int, default=50_000, help="sustained run size (0 skips it)")
    add(
        "--intake",
        choices=["auto", "put", "batch"],
        default="auto",
        help="sustained-run feeding; auto: batch when case-api has the route, else put",
    )
    add("--put-concurrency", type=int, default=32, help="PUTs in flight (put intake)")
    add("--batch-size", type=int, default=500, help="records per batch request")
    add("--batch-concurrency", type=int, default=2, help="batch requests in flight")
    add(
        "--max-in-flight",
        type=int,
        default=2_000,
        help="sustained run: accounts accepted but without an outcome, at most",
    )
    add(
        "--sustained-seconds",
        type=float,
        default=300.0,
        help="sustained run: stop feeding after this long",
    )
    add("--verify", type=int, default=200, help="accounts checked one by one first")
    add("--paced-rate", type=float, default=200.0, help="accounts/s")
    add("--paced-seconds", type=float, default=60.0, help="0 skips the phase")
    add(
        "--max-lag",
        type=float,
        default=5.0,
        help="paced runs give up once this many seconds' worth of accounts have no outcome",
    )
    add(
        "--steady-rate",
        default="auto",
        # argparse %-formats help texts: the percent sign goes in doubled.
        help=f"accounts/s; auto: {DEFAULT_STEADY_RATE:g}, or "
        f"{STEADY_SHARE_OF_CAPACITY * 100:.0f}%% of the lowest throughput the earlier "
        "phases measured if that is lower",
    )
    add("--steady-minutes", type=float, default=10.0, help="0 skips the phase")
    add(
        "--steady-max-lag",
        type=float,
        default=30.0,
        help="like --max-lag, for the steady run (a passing load from elsewhere is no reason"
        " to stop a memory run)",
    )
    add(
        "--steady-warmup-seconds",
        type=float,
        default=60.0,
        help="left out of the RSS slope (at most a third of the run)",
    )
    add(
        "--baseline-messages",
        type=int,
        default=None,
        help="default: --accounts; 0 skips the baseline",
    )
    add(
        "--stall-seconds",
        type=float,
        default=180.0,
        help="stop waiting when no notice outcome arrived for this long",
    )
    add(
        "--service-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra setting for the services, e.g. NOTIFIER_DISPATCH_BATCH_SIZE=100",
    )
    add(
        "--profile",
        action="append",
        default=[],
        choices=SERVICE_NAMES,
        help="run this service under pyinstrument (repeatable); summary to --profile-out",
    )
    add("--profile-out", type=Path, default=RESULTS / "profile-pipeline.txt")
    add(
        "--profile-sessions",
        type=Path,
        default=None,
        help="keep the raw pyinstrument sessions here (pyinstrument --load=...)",
    )
    add("--keep-logs", type=Path, default=None, help="copy the service logs here")
    add("--name", default="pipeline", help="results file name, without .json")
    return parser.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    service_env = dict(item.split("=", 1) for item in args.service_env)
    profile_dir = args.profile_sessions or Path(tempfile.mkdtemp(prefix="doorstep-bench-prof-"))
    profile_dir.mkdir(parents=True, exist_ok=True)
    profiles = {name: profile_dir / f"{name}.pyisession" for name in args.profile}
    figures: dict[str, Any] = {"parameters": {**vars(args), "service_env": service_env}}
    # The machine may be shared: its load says how much of it the run had.
    figures["load_average_before"] = os.getloadavg()
    exit_code = 1
    try:
        with Platform(service_env=service_env, profile=profiles, keep_var=args.keep_logs) as p:
            watch = ProcessWatch(
                {**p.pids(), "benchmark": os.getpid()},
                postgres_databases=list(p.databases.values()),
            )
            watch.start()
            try:
                exit_code = asyncio.run(run_phases(p, watch, args, figures))
            finally:
                watch.stop()
                figures["memory"] = {
                    "peak_rss_mib_hwm": {
                        name: round(kib / 1024, 1) for name, kib in watch.peaks_hwm_kib().items()
                    },
                    "peak_rss_mib_by_phase": {
                        phase.name: watch.phase_report(phase).get("peak_rss_mib_sampled")
                        for phase in watch.phases
                    },
                    "samples": len(watch.samples),
                }
        if profiles:
            write_profile_summary(profiles, args.profile_out, figures["parameters"])
    finally:
        if args.profile_sessions is None:
            shutil.rmtree(profile_dir, ignore_errors=True)
        figures["load_average_after"] = os.getloadavg()
        path = write_result(args.name, figures)
        print_summary(figures, path)
    return exit_code


async def run_phases(
    platform: Platform, watch: ProcessWatch, args: argparse.Namespace, figures: dict[str, Any]
) -> int:
    databases = Databases(platform.databases)
    await databases.open()
    intake = Intake(platform.url("case-api"), platform.intake_token(), connections=64)
    ctx = phases.Context(databases, intake, watch, args.stall_seconds)
    tag = uuid.uuid4().hex[:6]
    today = utc_now().date()

    def accounts(phase_letter: str) -> AccountSource:
        # Distinct ids and customers per phase; the zone is picked when the phase starts.
        return AccountSource(phase_letter, tag, today, zone_at_noon())

    try:
        verified = await phases.verify(ctx, accounts("V"), args.verify, args.put_concurrency)
        figures["verify"] = verified
        if not verified["ok"]:
            say("verify failed (see 'verify' in the results); stopping")
            return 1
        messages = args.accounts if args.baseline_messages is None else args.baseline_messages
        if messages:
            figures["baseline_kafka"] = await run_baseline(platform, ctx, messages)
        if args.accounts:
            figures["sustained"] = await run_sustained(ctx, accounts("S"), args)
        if args.paced_seconds:
            figures["paced"] = await phases.paced(
                ctx, accounts("P"), args.paced_rate, args.paced_seconds, args.max_lag
            )
        if args.steady_minutes:
            rate, why = steady_rate(args.steady_rate, figures)
            figures["steady"] = await phases.steady(
                ctx,
                accounts("T"),
                rate,
                args.steady_minutes,
                args.steady_warmup_seconds,
                args.steady_max_lag,
            )
            figures["steady"]["rate_chosen_because"] = why
        return 0
    finally:
        await intake.aclose()
        await databases.close()


async def run_baseline(platform: Platform, ctx: phases.Context, messages: int) -> dict[str, Any]:
    value_bytes, header_bytes = await ctx.databases.case_event_size()
    phase = ctx.watch.begin("baseline")
    result = await baseline.measure(
        platform.running.broker.bootstrap_servers, messages, value_bytes, header_bytes
    )
    ctx.watch.end(phase)
    say(f"baseline: {result.summary()}")
    return {**result.summary(), "processes": ctx.watch.phase_report(phase)}


async def run_sustained(
    ctx: phases.Context, source: AccountSource, args: argparse.Namespace
) -> dict[str, Any]:
    mode = args.intake
    if mode == "auto":
        mode = "batch" if await ctx.intake.batch_route_exists() else "put"

    async def feed(gate: Gate) -> IntakeStats:
        if mode == "batch":
            return await ctx.intake.batch_all(
                source, args.accounts, args.batch_size, args.batch_concurrency, gate
            )
        return await ctx.intake.put_all(source, args.accounts, args.put_concurrency, gate)

    return await phases.sustained(
        ctx, source, args.accounts, feed, mode, args.max_in_flight, args.sustained_seconds
    )


def steady_rate(requested: str, figures: dict[str, Any]) -> tuple[float, str]:
    if requested != "auto":
        return float(requested), "given"
    measured = {
        f"{name} phase": rate
        for name, key in (("sustained", "accounts_per_second"), ("paced", "throughput_per_second"))
        if (rate := (figures.get(name) or {}).get(key))
    }
    if measured:
        slowest = min(measured, key=lambda name: measured[name])
        rate = round(STEADY_SHARE_OF_CAPACITY * measured[slowest], 1)
        if rate < DEFAULT_STEADY_RATE:
            return rate, (
                f"{STEADY_SHARE_OF_CAPACITY:.0%} of the {measured[slowest]}/s the {slowest}"
                f" got through (below the default {DEFAULT_STEADY_RATE:g}/s): a steady run the"
                " platform can keep up with"
            )
    return DEFAULT_STEADY_RATE, "default"


if __name__ == "__main__":
    sys.exit(main())
