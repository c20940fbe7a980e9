"""What the run prints and derives: CPU per account, the profile summary, the closing lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.pipeline.profiling import summarize


def say(text: str) -> None:
    print(text, flush=True)


def cpu_per_account(report: dict[str, Any], accounts: int) -> dict[str, float]:
    """CPU milliseconds each process spent per account over a phase: the cost of one account
    wherever it runs, which other users of the machine change little."""
    if not report or not accounts:
        return {}
    seconds = float(report["seconds"])
    return {
        name: round(1000 * cores * seconds / accounts, 2)
        for name, cores in report["cpu_cores_used"].items()
    }


def write_profile_summary(profiles: dict[str, Path], out: Path, parameters: dict[str, Any]) -> None:
    parts = [
        "Pipeline profile: pyinstrument, wall-clock samples of each service's main thread.",
        "The profiler slows each service down: read shares, not speeds.",
        f"run: {json.dumps(parameters, default=str)}",
        "",
    ]
    for name, path in profiles.items():
        summary = summarize(path, name) if path.exists() else f"{name}: no profile written"
        parts += [summary, ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts))
    say(f"profile summary -> {out}")


def print_summary(figures: dict[str, Any], path: Path) -> None:
    lines = ["", "pipeline benchmark"]
    if run := figures.get("sustained"):
        lines.append(
            f"  sustained: {run['accounts_with_outcome']} of {run['accounts_requested']} accounts"
            f" ({run['intake_mode']} intake{', time-boxed' if run['time_boxed'] else ''}) ->"
            f" {run.get('accounts_per_second')} accounts/s to the last timeline entry in"
            f" {run.get('seconds_to_last_timeline_entry')} s (middle 80%:"
            f" {run.get('middle_80_percent_per_second')}/s; target"
            f" {run.get('target_accounts_per_second')}/s:"
            f" {'met' if run.get('target_met') else 'NOT met'})"
        )
        lines.append(f"  CPU ms per account: {json.dumps(run.get('cpu_ms_per_account'))}")
    if base := figures.get("baseline_kafka"):
        lines.append(
            f"  baseline aiokafka ({base['messages']} messages): produce"
            f" {base['produce_per_second']}/s, consume {base['consume_per_second']}/s, produce"
            f" then consume {base['produce_then_consume_per_second']}/s"
        )
    for name in ("paced", "steady"):
        if run := figures.get(name):
            latency = run.get("latency_ms", {})
            sustained = "" if run["rate_sustained"] else ", NOT sustained (feed gave up)"
            lines.append(
                f"  {name}: {run['accounts_sent']} accounts at {run['rate_per_second']:g}/s"
                f"{sustained} -> latency p50 {latency.get('p50')} ms, p99 {latency.get('p99')}"
                f" ms, max {latency.get('max')} ms"
                + (
                    f" (target p99 < 1 s: {'met' if run.get('target_met') else 'NOT met'})"
                    if name == "paced"
                    else ""
                )
            )
    if run := figures.get("steady"):
        lines.append(f"  steady RSS slope MiB/min: {json.dumps(run['rss_slope_mib_per_minute'])}")
    if memory := figures.get("memory"):
        lines.append(f"  peak RSS MiB (VmHWM): {json.dumps(memory['peak_rss_mib_hwm'])}")
    lines.append(f"  -> {path}")
    say("\n".join(lines))
