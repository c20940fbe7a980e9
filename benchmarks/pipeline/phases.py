"""The measured phases, each on the running platform, each ending only when nothing is in
flight any more (so the next starts from an idle pipeline)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.common import percentile
from benchmarks.pipeline.accounts import AccountSource
from benchmarks.pipeline.intake import Gate, Intake, IntakeStats
from benchmarks.pipeline.memory import ProcessWatch, slope_mib_per_minute
from benchmarks.pipeline.observe import (
    Databases,
    OutcomeTally,
    Progress,
    counters_per_account,
    database_counters,
)
from benchmarks.pipeline.report import cpu_per_account, say

TARGET_ACCOUNTS_PER_SECOND = 1_000
TARGET_P99_SECONDS = 1.0
SETTLE_TIMEOUT_SECONDS = 600
STATS_FLUSH_SECONDS = 2.0  # PostgreSQL backends report their counters about once a second


@dataclass(frozen=True)
class Context:
    databases: Databases
    intake: Intake
    watch: ProcessWatch
    stall_seconds: float


async def verify(ctx: Context, source: AccountSource, accounts: int, concurrency: int) -> Any:
    """A small run checked account by account: one sent notice each, nothing left over."""
    mark = await ctx.databases.timeline_mark()
    phase = ctx.watch.begin("verify")
    stats = await ctx.intake.put_all(source, accounts, concurrency)
    progress = await wait_for_outcomes(ctx, mark, lambda: accounts)
    backlog = await settle(ctx.databases)
    ctx.watch.end(phase)
    done = await ctx.databases.outcome_times(source.prefix)
    missing = [i for i in range(accounts) if source.account_id(i) not in done]
    ok = (
        stats.accounts_accepted == accounts
        and not missing
        and progress.outcomes.get("sent", 0) == accounts
        and progress.finished == accounts
        and not any(backlog.values())
    )
    result = {
        "ok": ok,
        "accounts": accounts,
        "intake": stats.summary(),
        "outcomes": dict(progress.outcomes),
        "deferred": progress.deferred,
        "accounts_without_outcome": len(missing),
        "backlog_after": backlog,
    }
    say(f"verify: {json.dumps(result)}")
    return result


async def sustained(
    ctx: Context,
    source: AccountSource,
    accounts: int,
    feed_with: Callable[[Gate], Awaitable[IntakeStats]],
    mode: str,
    max_in_flight: int,
    budget_seconds: float,
) -> dict[str, Any]:
    """As fast as the platform goes: ``accounts`` fed with at most ``max_in_flight`` of them
    without an outcome yet; feeding stops at ``budget_seconds`` (the accounts fed by then are
    finished and measured)."""
    say(f"sustained: {accounts} accounts by {mode} intake (at most {budget_seconds:g} s)")
    databases = ctx.databases
    mark = await databases.timeline_mark()
    counters_before = await database_counters(databases)
    events_before = await databases.events_published()
    phase = ctx.watch.begin("sustained")
    gate = Gate(max_in_flight, time.monotonic() + budget_seconds)
    feed = asyncio.ensure_future(feed_with(gate))
    progress = await wait_for_outcomes(ctx, mark, _accepted_when_fed(feed), gate)
    gate.closed = True  # a stall ends the feed too
    stats = await feed
    ctx.watch.end(phase)
    backlog = await settle(databases)
    done = await databases.outcome_times(source.prefix)
    times = sorted(at.timestamp() for at in done.values())
    result: dict[str, Any] = {
        "accounts_requested": accounts,
        "accounts_fed": stats.accounts_accepted,
        "time_boxed": stats.accounts_accepted < accounts,
        "budget_seconds": budget_seconds,
        "max_in_flight": max_in_flight,
        "intake_mode": mode,
        "intake": stats.summary(),
        "outcomes": dict(progress.outcomes),
        "deferred": progress.deferred,
        "accounts_with_outcome": len(times),
    }
    if times and stats.first_sent:
        total = times[-1] - stats.first_sent
        rate = len(times) / total
        low, high = times[len(times) // 10], times[(9 * len(times)) // 10]
        result.update(
            {
                "seconds_to_last_timeline_entry": round(total, 2),
                "accounts_per_second": round(rate, 1),
                # The rate once the pipe is full, without the first and last tenth.
                "middle_80_percent_per_second": round(0.8 * len(times) / (high - low), 1)
                if high > low
                else None,
                "projected_seconds_for_all_requested": round(accounts / rate, 0),
                "target_accounts_per_second": TARGET_ACCOUNTS_PER_SECOND,
                "target_met": rate >= TARGET_ACCOUNTS_PER_SECOND and len(times) == accounts,
            }
        )
    result["processes"] = ctx.watch.phase_report(phase)
    result["cpu_ms_per_account"] = cpu_per_account(result["processes"], len(times))
    events = await databases.events_published() - events_before
    result["events_per_account"] = {
        name: round(count / max(1, len(times)), 2) for name, count in sorted(events.items())
    }
    await asyncio.sleep(STATS_FLUSH_SECONDS)
    result["database_per_account"] = counters_per_account(
        counters_before, await database_counters(databases), len(times)
    )
    result["backlog_after"] = backlog
    say(f"sustained: {json.dumps(_brief(result))}")
    return result


async def paced(
    ctx: Context,
    source: AccountSource,
    rate: float,
    seconds: float,
    max_lag: float,
    phase_name: str = "paced",
) -> dict[str, Any]:
    """Single PUTs at ``rate`` (open loop): end-to-end latency of each account, from sending
    its PUT to its notice outcome being written on its case timeline."""
    count = int(rate * seconds)
    say(f"{phase_name}: {count} accounts at {rate:g}/s by single PUTs")
    mark = await ctx.databases.timeline_mark()
    phase = ctx.watch.begin(phase_name)
    finished = Gate(max_in_flight=count, deadline=math.inf)  # only counts the outcomes
    feed = asyncio.ensure_future(ctx.intake.paced_put(source, rate, seconds, max_lag, finished))
    progress = await wait_for_outcomes(ctx, mark, _accepted_when_fed(feed), finished)
    stats = await feed
    ctx.watch.end(phase)
    backlog = await settle(ctx.databases)
    done = await ctx.databases.outcome_times(source.prefix)
    latencies = [
        at.timestamp() - stats.sent_at[account]
        for account, at in done.items()
        if account in stats.sent_at
    ]
    finished_times = sorted(at.timestamp() for at in done.values())
    result: dict[str, Any] = {
        "rate_per_second": rate,
        "seconds": seconds,
        "accounts_planned": count,
        "accounts_sent": len(stats.sent_at),
        "rate_sustained": stats.gave_up_after_seconds is None,
        "max_lag_seconds": max_lag,
        "intake": stats.summary(),
        "outcomes": dict(progress.outcomes),
        "deferred": progress.deferred,
        "accounts_with_outcome": len(done),
        # What the platform got through (its capacity with PUT intake, when overloaded).
        "throughput_per_second": round(len(done) / (finished_times[-1] - stats.first_sent), 1)
        if finished_times and finished_times[-1] > stats.first_sent
        else None,
    }
    if latencies:
        p99 = percentile(latencies, 0.99)
        result["latency_ms"] = {
            name: round(1000 * percentile(latencies, fraction), 1)
            for name, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))
        }
        result["target_p99_ms"] = 1000 * TARGET_P99_SECONDS
        result["target_met"] = (
            p99 < TARGET_P99_SECONDS and len(latencies) == count and result["rate_sustained"]
        )
    result["processes"] = ctx.watch.phase_report(phase)
    result["cpu_ms_per_account"] = cpu_per_account(result["processes"], len(done))
    result["backlog_after"] = backlog
    say(f"{phase_name}: {json.dumps(_brief(result))}")
    return result


async def steady(
    ctx: Context,
    source: AccountSource,
    rate: float,
    minutes: float,
    warmup_seconds: float,
    max_lag: float,
) -> dict[str, Any]:
    """A paced run long enough to see memory grow: each process's RSS slope (least squares,
    MiB per minute) over the feeding time after the warm-up."""
    seconds = 60 * minutes
    result = await paced(ctx, source, rate, seconds, max_lag, phase_name="steady")
    phase = ctx.watch.phases[-1]
    # Over the feeding time only (the drain after it is another load), or what there was of
    # it when the feed gave up.
    fed = result["intake"]["gave_up_after_seconds"] or seconds
    warmup = min(warmup_seconds, fed / 3)
    window = [s for s in ctx.watch.in_phase(phase, warmup) if s.at <= phase.started + fed]
    result["rss_warmup_seconds"] = warmup
    result["rss_samples"] = len(window)
    result["rss_slope_mib_per_minute"] = {
        name: None if (slope := slope_mib_per_minute(window, name)) is None else round(slope, 3)
        for name in ctx.watch.pids
    }
    if window:
        result["rss_mib_after_warmup"] = {
            n: round(v / 1024, 1) for n, v in window[0].rss_kib.items()
        }
        result["rss_mib_at_end"] = {n: round(v / 1024, 1) for n, v in window[-1].rss_kib.items()}
    say(f"steady RSS slope MiB/min: {json.dumps(result['rss_slope_mib_per_minute'])}")
    return result


def _accepted_when_fed(feed: asyncio.Future[IntakeStats]) -> Callable[[], int | None]:
    """How many outcomes to wait for: unknown until the feed is done, then what it got in."""

    def expected() -> int | None:
        return feed.result().accounts_accepted if feed.done() else None

    return expected


async def wait_for_outcomes(
    ctx: Context,
    mark: int,
    expected: Callable[[], int | None],
    gate: Gate | None = None,
) -> Progress:
    """Until the expected number of notice outcomes is on timelines after ``mark``, or none
    came for ``stall_seconds``. Keeps ``gate`` told how many accounts are done, and prints
    progress every few seconds."""
    last_count, last_change, last_print = -1, time.monotonic(), 0.0
    tally = OutcomeTally(mark)
    while True:
        progress = await ctx.databases.progress(tally)
        if gate is not None:
            gate.finished = progress.finished
        now = time.monotonic()
        if progress.finished != last_count:
            last_count, last_change = progress.finished, now
        target = expected()
        if now - last_print >= 10:
            say(f"  {progress.finished}/{target or '?'} notice outcomes on the timeline")
            last_print = now
        if target is not None and progress.finished >= target:
            return progress
        if now - last_change > ctx.stall_seconds:
            say(f"  stalled at {progress.finished} outcomes for {ctx.stall_seconds:g} s")
            return progress
        await asyncio.sleep(0.5)


async def settle(databases: Databases) -> dict[str, int]:
    """Until nothing is in flight (outboxes published, every event consumed)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while True:
        backlog = await databases.backlog()
        if not any(backlog.values()) or time.monotonic() > deadline:
            return backlog
        await asyncio.sleep(1)


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    skip = {"processes", "database_per_account", "events_per_account", "backlog_after"}
    return {key: value for key, value in result.items() if key not in skip}
