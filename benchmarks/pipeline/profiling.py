"""A short, readable summary of a pyinstrument session: where a service's time goes.

pyinstrument samples the wall clock of the main thread. Samples in the event loop's wait for
I/O are idle and left out: the shares below are of the *busy* samples. On a machine with
more runnable processes than cores, a send to a local socket often hands the CPU to the
process it wakes (PostgreSQL, the broker), so ``socket.send`` stands for "waiting for a CPU"
as much as for sending. Three views:

- busy time by package (self time): our code, SQLAlchemy, asyncpg, httpx, the interpreter...;
- the steps of the service (Doorstep functions, inclusive time, each counted once however
  deep it recurses; a function that only passes the time on to one callee is left out, as
  are the process-wide wrappers around everything);
- a few costs that cut across the steps (the connection pool's pre-ping, the audit chain...).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pyinstrument.frame import Frame
from pyinstrument.session import Session

_SITE = re.compile(r"site-packages/([^/]+)")
_OURS = re.compile(r"/(doorstep_[a-z_]+)/")
IDLE_FUNCTIONS = {"epoll.poll", "select.poll", "select", "poll"}
PASS_THROUGH = 0.95  # a step whose one callee step takes this share of it is not shown
WRAPPER = 0.75  # nor one that wraps this share of everything (the CLI, uvicorn's loop)
# function name -> (a part of its file path that must match, what it is)
CROSS_CUTTING = {
    "_async_ping": ("asyncpg", "connection pool pre-ping (BEGIN; ROLLBACK per checkout)"),
    "append": ("audit", "audit chain append (advisory lock, head, insert)"),
    "verify": ("jwt", "JWT verification"),
    "socket.send": ("", "socket.send (incl. waiting for a CPU after waking the receiver)"),
    "emit": ("logging", "logging (format + write)"),
}
Times = defaultdict[str, float]


@dataclass
class Tally:
    by_package: Times = field(default_factory=lambda: defaultdict(float))
    steps: Times = field(default_factory=lambda: defaultdict(float))
    # step -> the time of each step directly under it
    substeps: defaultdict[str, Times] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    cross: Times = field(default_factory=lambda: defaultdict(float))
    idle: float = 0.0


def package_of(frame: Frame) -> str:
    path = frame.file_path or ""
    if match := _OURS.search(path):
        return match.group(1)
    if match := _SITE.search(path):
        return match.group(1).removesuffix(".py")
    return "python (stdlib, interpreter, built-ins)"


def step_name(frame: Frame) -> str:
    owner = f"{frame.class_name}." if frame.class_name else ""
    path = re.sub(r".*/(?=doorstep_)", "", frame.file_path or "")
    return f"{owner}{frame.function} ({path}:{frame.line_no})"


def _walk(frame: Frame, tally: Tally, open_steps: frozenset[str], parent_step: str) -> None:
    if frame.function == "[self]":
        return
    if frame.function in IDLE_FUNCTIONS:
        tally.idle += frame.time
        return
    tally.by_package[package_of(frame)] += frame.total_self_time
    cross = _cross_cutting(frame)
    if cross is not None and cross not in open_steps:
        tally.cross[cross] += frame.time
        open_steps = open_steps | {cross}
    if _OURS.search(frame.file_path or ""):
        name = step_name(frame)
        if name not in open_steps:
            tally.steps[name] += frame.time
            tally.substeps[parent_step][name] += frame.time
            open_steps, parent_step = open_steps | {name}, name
    for child in frame.children:
        _walk(child, tally, open_steps, parent_step)


def _cross_cutting(frame: Frame) -> str | None:
    known = CROSS_CUTTING.get(frame.function)
    if known is None or known[0] not in (frame.file_path or ""):
        return None
    return known[1]


def summarize(path: Path, title: str, top: int = 12) -> str:
    session = Session.load(path)
    root = session.root_frame()
    if root is None:
        return f"{title}: no samples"
    tally = Tally()
    _walk(root, tally, frozenset(), "")
    busy = max(1e-9, root.time - tally.idle)
    lines = [
        f"{title}: {session.duration:.0f} s recorded, {session.cpu_time:.0f} s CPU,"
        f" {100 * tally.idle / root.time:.0f}% of samples idle; shares of the busy samples:",
        "  self time by package:",
        *_top(tally.by_package, busy, top // 2 + 2),
        "  steps (inclusive):",
        *_top(_shown_steps(tally, busy), busy, top),
        "  across the steps (inclusive):",
        *_top(tally.cross, busy, len(CROSS_CUTTING)),
    ]
    return "\n".join(lines)


def _shown_steps(tally: Tally, busy: float) -> Times:
    shown: Times = defaultdict(float)
    for name, seconds in tally.steps.items():
        biggest_callee = max(tally.substeps.get(name, {}).values(), default=0.0)
        if seconds < WRAPPER * busy and biggest_callee < PASS_THROUGH * seconds:
            shown[name] = seconds
    return shown


def _top(times: Times, total: float, count: int) -> list[str]:
    ranked = sorted(times.items(), key=lambda item: item[1], reverse=True)[:count]
    return [f"    {100 * seconds / total:5.1f}%  {name}" for name, seconds in ranked]
