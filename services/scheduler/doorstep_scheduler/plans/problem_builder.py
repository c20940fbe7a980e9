"""From stored visits to the planner's problem: which appointments are kept, which visits are
to place and in which lawful windows, and which cannot be planned at all and why."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.planning.problem import (
    GeoPoint,
    PinnedVisit,
    TeamDay,
    TimeWindow,
    Unplanned,
    VisitDemand,
)
from doorstep_scheduler.planning.windows import lawful_visit_windows
from doorstep_scheduler.plans.priority import visit_priority
from doorstep_scheduler.visit_terms.terms import SENSITIVE_PLACES, StoredTerms, read_terms
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.contact_rules import (
    Channel,
    ContactAttempt,
    Outcome,
    RulePack,
    VisitConduct,
    decide,
)

DATA_UNAVAILABLE = "visit_data_unavailable"
# Time for the notifier to send the appointment notice after the plan is announced.
NOTICE_SLACK = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class PlanningRules:
    pack: RulePack
    conduct: VisitConduct
    service: timedelta
    min_days_between_visits: int


@dataclass
class Sorted:
    pinned: list[PinnedVisit] = field(default_factory=list)
    demands: list[VisitDemand] = field(default_factory=list)
    blocked: list[Unplanned] = field(default_factory=list)
    moving: set[uuid.UUID] = field(default_factory=set)  # announced, must get a new time
    priorities: dict[uuid.UUID, int] = field(default_factory=dict)


def sort_visits(
    visits: list[Visit],
    *,
    cases: dict[uuid.UUID, CaseView],
    last_visited: dict[uuid.UUID, datetime],
    team_days: list[TeamDay],
    days: tuple[date, ...],
    rules: PlanningRules,
    now: datetime,
) -> Sorted:
    out = Sorted()
    working = {td.key for td in team_days}
    for visit in visits:
        if visit.status == "scheduled":
            missed = visit.window_end is not None and visit.window_end <= now
            pinned = None if missed else _pinned(visit, working, rules.service)
            if pinned is not None:
                out.pinned.append(pinned)
                continue
            out.moving.add(visit.id)
        checked = _check(visit, cases.get(visit.case_id), rules)
        if isinstance(checked, Unplanned):
            out.blocked.append(checked)
            continue
        demand = _demand(visit, checked, last_visited, days, rules, now)
        out.priorities[visit.id] = demand.priority
        out.demands.append(demand)
    return out


def _pinned(
    visit: Visit, working: set[tuple[uuid.UUID, date]], service: timedelta
) -> PinnedVisit | None:
    """The appointment as the customer knows it, unless it can no longer be kept: its notice
    came too late or failed, or its team-day is gone (sickness, the team made inactive)."""
    if (
        visit.notice_status in ("late", "failed")
        or visit.team_id is None
        or visit.plan_day is None
        or visit.window_start is None
        or visit.window_end is None
        or visit.latitude is None
        or visit.longitude is None
        or (visit.team_id, visit.plan_day) not in working
    ):
        return None
    return PinnedVisit(
        visit_id=visit.id,
        case_id=visit.case_id,
        team_id=visit.team_id,
        day=visit.plan_day,
        window=TimeWindow(visit.window_start, visit.window_end),
        location=GeoPoint(visit.latitude, visit.longitude),
        service=service,
    )


@dataclass(frozen=True, slots=True)
class _Plannable:
    case: CaseView
    terms: StoredTerms
    location: GeoPoint


def _check(visit: Visit, case: CaseView | None, rules: PlanningRules) -> Unplanned | _Plannable:
    """Why the visit cannot be given to the solver at all, or what it is planned from."""

    def why(code: str, reason: str) -> Unplanned:
        return Unplanned(visit.id, visit.case_id, code, reason)

    if case is None:
        return why("case_unknown", "the case's state has not reached the scheduler yet")
    if visit.terms is None:
        if visit.unassigned_code == DATA_UNAVAILABLE and visit.unassigned_reason:
            return why(DATA_UNAVAILABLE, visit.unassigned_reason)  # the fetch said why
        return why(
            "visit_data_pending",
            "the visit address and terms have not been fetched from case-api yet",
        )
    if visit.latitude is None or visit.longitude is None:
        return why("no_coordinates", "the visit address has no coordinates to route to")
    terms = read_terms(visit.terms)
    if (
        rules.conduct.consent_for_sensitive_places
        and terms.address_kind in SENSITIVE_PLACES
        and not terms.consent_recorded
    ):
        return why(
            "consent_required",
            f"the address is a {terms.address_kind.replace('_', ' ')}: a visit there needs "
            "the customer's recorded consent",
        )
    if rules.conduct.consent_for_vulnerable and case.vulnerable and not terms.consent_recorded:
        return why(
            "consent_required",
            "the customer is flagged vulnerable: a visit needs their recorded consent",
        )
    return _Plannable(case, terms, GeoPoint(visit.latitude, visit.longitude))


def _notice_can_go(pack: RulePack, zone: str, now: datetime) -> datetime:
    """When the appointment notice can first lawfully go out: now, or after the customer's
    quiet hours (the notice period runs from then, not from the plan)."""
    decision = decide(pack, ContactAttempt(channel=Channel.SMS, now=now, timezone=zone))
    if decision.outcome == Outcome.DEFERRED and decision.not_before is not None:
        return max(now, decision.not_before)
    return now


def _next_quarter_hour(moment: datetime) -> datetime:
    """Appointments start on the quarter hour ("between 10:15 and 12:15")."""
    past = timedelta(
        minutes=moment.minute % 15, seconds=moment.second, microseconds=moment.microsecond
    )
    return moment if not past else moment - past + timedelta(minutes=15)


def _demand(
    visit: Visit,
    plannable: _Plannable,
    last_visited: dict[uuid.UUID, datetime],
    days: tuple[date, ...],
    rules: PlanningRules,
    now: datetime,
) -> VisitDemand:
    case, terms = plannable.case, plannable.terms
    earliest = _notice_can_go(rules.pack, terms.timezone, now) + rules.conduct.notice_period
    last = last_visited.get(visit.case_id)
    if last is not None:
        earliest = max(earliest, last + timedelta(days=rules.min_days_between_visits))
    earliest = _next_quarter_hour(earliest + NOTICE_SLACK)
    windows = lawful_visit_windows(
        rules.pack, ZoneInfo(terms.timezone), days, terms.windows, earliest, rules.service
    )
    return VisitDemand(
        visit_id=visit.id,
        case_id=visit.case_id,
        location=plannable.location,
        service=rules.service,
        priority=visit_priority(
            days_past_due=case.days_past_due,
            total_due=case.total_due,
            broken_promises=case.broken_promises,
            capacity=terms.capacity,
            attempt=visit.attempt,
        ),
        language=terms.language,
        windows=windows.windows,
        no_window_reason=windows.reason,
        no_window_reason_code=windows.reason_code,
    )
