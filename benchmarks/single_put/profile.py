"""A short text summary of a pyinstrument session of case-api under the single-PUT load.

pyinstrument samples the event-loop thread's stack by wall-clock time. Three views, each in
percent of the serving time (start-up, before the first request, is left out):

* areas: a sample goes to the first named step in its stack (idle, relay, JWT, ...), else
  to the library of its innermost frame outside the standard library (asyncpg, SQLAlchemy,
  pydantic, Doorstep's own code, the HTTP stack);
* request steps: inclusive time of Doorstep's own functions (services/ and shared/);
* hottest functions: the innermost frame of each sample (self time).

SQLAlchemy runs its ORM in greenlets, and pyinstrument sees such a stack without the request
above it: those samples count in the areas and hottest functions, not in the request steps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyinstrument.session import Session


@dataclass(frozen=True)
class Frame:
    function: str
    file: str
    line: str
    owner: str  # the class, when pyinstrument knows it

    @classmethod
    def parse(cls, identifier: str) -> Frame:
        function, file, rest = [*identifier.split("\x00"), "", ""][:3]
        attributes = rest.split("\x01")
        owner = next((a[1:] for a in attributes[1:] if a.startswith("c")), "")
        return cls(function, file, attributes[0], owner)

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.function}" if self.owner else self.function

    @property
    def where(self) -> str:
        for marker in ("/site-packages/", "/services/case-api/", "/shared/", "/python3.11/"):
            if marker in self.file:
                return self.file.split(marker, 1)[1] + f":{self.line}"
        return self.file


Stack = Sequence[Frame]
_Rule = tuple[str, Callable[[Stack], bool]]


def _has(*needles: str) -> Callable[[Stack], bool]:
    return lambda stack: any(n in f.file or n == f.name for f in stack for n in needles)


def _innermost(*names: str) -> Callable[[Stack], bool]:
    return lambda stack: bool(stack) and stack[-1].name in names


# Steps worth naming wherever they sit in the stack: the first that matches names the area.
STEPS: tuple[_Rule, ...] = (
    ("idle: the event loop waits for a socket", _innermost("epoll.poll", "select")),
    ("outbox relay (publishing to the broker)", _has("OutboxRelay.run", "/aiokafka/")),
    ("JWT check (ES256 signature, claims)", _has("jwt_bearer.py", "/jwt/")),
    ("personal data: encrypt + blind indexes", _has("personal_data.py", "security/crypto")),
    ("request body: JSON + pydantic validation", _has("request_body_to_args", "Request.json")),
    ("response: summary + serialisation", _has("serialize_response", "cases/service.py")),
)
# Otherwise the innermost frame that is not the standard library's names it.
LIBRARIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("asyncpg driver: protocol, socket I/O", ("/asyncpg/",)),
    ("SQLAlchemy: statements, ORM, unit of work", ("/sqlalchemy/",)),
    ("pydantic: event and result models", ("/pydantic/", "/pydantic_core/")),
    ("Doorstep's own code (rules, events)", ("/services/case-api/", "/shared/doorstep_shared/")),
    (
        "HTTP + event loop: uvicorn, h11, Starlette, FastAPI",
        ("/uvicorn/", "/h11/", "/starlette/", "/fastapi/"),
    ),
)
OTHER = "other (asyncio, json, stdlib)"


def area_of(stack: Stack) -> str:
    for name, matches in STEPS:
        if matches(stack):
            return name
    for frame in reversed(stack):
        for name, needles in LIBRARIES:
            if any(needle in frame.file for needle in needles):
                return name
    return OTHER


def summarize_profile(session_path: Path, described: str, lines: int) -> str:
    session = Session.load(str(session_path))
    samples = [
        ([Frame.parse(i) for i in stack], seconds) for stack, seconds in session.frame_records
    ]
    first_request = next(
        (n for n, (stack, _) in enumerate(samples) if any(f.function == "run_asgi" for f in stack)),
        0,
    )
    start_up = sum(seconds for _, seconds in samples[:first_request])
    serving = samples[first_request:]
    total = sum(seconds for _, seconds in serving) or 1.0

    detached = 0.0  # greenlet stacks: not under the program's main frame
    areas: defaultdict[str, float] = defaultdict(float)
    steps: defaultdict[str, float] = defaultdict(float)
    hottest: defaultdict[str, float] = defaultdict(float)
    for stack, seconds in serving:
        areas[area_of(stack)] += seconds
        # A function counts once per sample, however deep it recurses.
        for label in {_label(f) for f in stack if _is_step(f)}:
            steps[label] += seconds
        if stack:
            hottest[_label(stack[-1])] += seconds
        if not any(f.function == "_run_module_as_main" for f in stack):
            detached += seconds

    out = [
        f"case-api under the single-PUT load: {described}",
        f"pyinstrument wall-clock samples of the event-loop thread: {session.duration:.1f} s "
        f"recorded, {session.cpu_time:.1f} s CPU; start-up ({start_up:.1f} s) left out.",
        "",
        "Where the serving time goes (a named step in the stack, else the innermost library)",
    ]
    out += _top(areas, len(areas), total)
    room = max(4, lines - len(out) - 4)
    share = 100 * detached / total
    out += [
        "",
        "Request steps (inclusive; Doorstep functions). Not in them: SQLAlchemy's greenlet",
        f"stacks (flush at commit, ORM execute) seen without their request, {share:.1f}%",
    ]
    out += _top(steps, room // 2, total)
    out += ["", "Hottest functions (self time)"]
    out += _top(hottest, room - room // 2, total)
    return "\n".join(out) + "\n"


def _top(seconds: dict[str, float], count: int, total: float) -> list[str]:
    ranked = sorted(seconds.items(), key=lambda item: item[1], reverse=True)[:count]
    return [f"  {100 * spent / total:5.1f}%  {label}" for label, spent in ranked]


def _label(frame: Frame) -> str:
    return f"{frame.name}  {frame.where}"


# Wrappers around every request (and the entry points) say nothing about where it goes.
_NOT_STEPS = ("<module>", "main", "run_service_cli", "__call__")


def _is_step(frame: Frame) -> bool:
    return _is_doorstep(frame) and frame.function not in _NOT_STEPS


def _is_doorstep(frame: Frame) -> bool:
    return "/services/case-api/" in frame.file or "/shared/doorstep_shared/" in frame.file
