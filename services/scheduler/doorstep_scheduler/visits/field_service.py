"""Field work on a planned visit: the team's day, check-in at the door, the outcome.

The outcome goes to case-api as a status update (it turns it into a promise, a hold, the next
step of the ladder). Nobody home: the visit is tried again, up to ``max_visit_attempts`` per
stage; after that the case gets no more visits in this stage and the ladder decides.

Never commits and never publishes: changes and their outbox rows join the caller's transaction.
The collector's notes are stored here only; they are never logged nor put on an event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.cases.repository import CaseViewRepository
from doorstep_scheduler.db import audit_table
from doorstep_scheduler.planning.problem import GeoPoint
from doorstep_scheduler.planning.travel import haversine_meters
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.events import VisitEventRecorder
from doorstep_scheduler.visits.exceptions import VisitNotFoundError
from doorstep_scheduler.visits.field_exceptions import (
    InvalidCheckInError,
    InvalidOutcomeError,
    PromiseCurrencyMismatchError,
    RecordingRequiredError,
    TeamNotFoundError,
    VisitNoticeNotSentError,
    VisitStateConflictError,
)
from doorstep_scheduler.visits.field_repository import FieldVisitRepository
from doorstep_scheduler.visits.field_terms import field_terms
from doorstep_scheduler.visits.models import Visit, follow_up_request
from doorstep_scheduler.visits.repository import VisitRepository
from doorstep_scheduler.visits.service import AWAITING_PLAN, still_calls_for_a_visit
from doorstep_shared.audit import record_pii_read

logger = logging.getLogger(__name__)

# A device clock running a little ahead is not a check-in in the future.
CLOCK_SKEW = timedelta(minutes=5)
# case-api records a visit's promise only up to 90 days ahead (further out is an arrangement):
# refuse it here, while the collector is still at the door, rather than have it dropped there.
PROMISE_MAX_DAYS_AHEAD = 90
# Nobody was spoken to: there is nothing to record, whatever the pack says about recordings.
AGENDA_PERSONAL_FIELDS = ("customer_name", "address")
NOBODY_SPOKEN_TO = frozenset({"not_home", "wrong_address"})


@dataclass(frozen=True, slots=True)
class PromiseToPay:
    amount: Decimal
    currency: str
    date: date


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    outcome: str  # a contracts.VisitOutcome
    notes: str | None = None
    recording_ref: str | None = None
    promise: PromiseToPay | None = None


@dataclass(frozen=True, slots=True)
class OutcomeResult:
    visit: Visit
    next_attempt: Visit | None  # a re-visit to plan (nobody was home)
    replayed: bool  # the same outcome was already recorded: nothing changed


class FieldVisitService:
    def __init__(
        self, session: AsyncSession, settings: SchedulerSettings, events: VisitEventRecorder
    ) -> None:
        self._session = session
        self._visits = VisitRepository(session)
        self._field = FieldVisitRepository(session)
        self._cases = CaseViewRepository(session)
        self._settings = settings
        self._events = events

    async def agenda(
        self,
        team_id: uuid.UUID,
        day: date,
        *,
        team_scope: uuid.UUID | None,
        reader: str,
        now: datetime,
    ) -> Sequence[Visit]:
        """The team's visits that day in route order. ``team_scope`` (a collector's own team)
        hides every other team as not found, as the visit reads do. The agenda shows each
        customer's name and address, so each read is in the audit log (fields, never values)."""
        foreign = team_scope is not None and team_id != team_scope
        if foreign or await self._field.team(team_id) is None:
            raise TeamNotFoundError(f"no team {team_id}")
        visits = await self._field.team_day(team_id, day)
        for visit in visits:
            await record_pii_read(
                self._session,
                audit_table,
                actor=reader,
                case_id=visit.case_id,
                fields=AGENDA_PERSONAL_FIELDS,
                purpose="field-agenda",
                now=now,
            )
        return visits

    async def check_in(
        self,
        visit_id: uuid.UUID,
        *,
        latitude: float,
        longitude: float,
        checked_in_at: datetime | None,
        team_scope: uuid.UUID | None,
        now: datetime,
    ) -> Visit:
        visit = _visible(await self._visits.lock(visit_id), visit_id, team_scope)
        if visit.status != "scheduled":
            raise VisitStateConflictError(
                f"the visit is {visit.status}; only a scheduled visit can be checked in."
            )
        if visit.notice_status != "sent":
            # The customer was not told of this appointment: the visit must not go ahead.
            raise VisitNoticeNotSentError(
                f"the appointment notice is {visit.notice_status or 'not sent'}; "
                "the visit must not go ahead."
            )
        arrived = checked_in_at or now
        if arrived > now + CLOCK_SKEW:
            raise InvalidCheckInError("checked_in_at is in the future.")
        distance = None
        if visit.latitude is not None and visit.longitude is not None:
            distance = haversine_meters(
                GeoPoint(visit.latitude, visit.longitude), GeoPoint(latitude, longitude)
            )
        visit.status = "checked_in"
        visit.checked_in_at = arrived
        visit.check_in_latitude = latitude
        visit.check_in_longitude = longitude
        visit.check_in_distance_meters = distance
        # Unknown (no coordinates for the address) rather than "near".
        visit.check_in_far = (
            None if distance is None else (distance > self._settings.check_in_radius_meters)
        )
        await self._visits.flush()
        logger.info("visit checked in", extra={**_ids(visit), "far": visit.check_in_far})
        return visit

    async def record_outcome(
        self,
        visit_id: uuid.UUID,
        report: OutcomeReport,
        *,
        team_scope: uuid.UUID | None,
        now: datetime,
    ) -> OutcomeResult:
        """Close a checked-in visit with its outcome and stage the status update.

        Sending the same outcome again (a retry after a lost response) returns the visit as
        recorded, without a second event; a different one is a conflict.
        """
        found = _visible(await self._visits.get(visit_id), visit_id, team_scope)
        # The case before the visit, in the order the case-event handler takes them.
        case = await self._cases.lock(found.case_id)
        visit = _visible(await self._visits.lock(visit_id), visit_id, team_scope)
        if visit.status == "completed" and _same_outcome(visit, report):
            return OutcomeResult(visit, next_attempt=None, replayed=True)
        if visit.status != "checked_in":
            raise VisitStateConflictError(
                f"the visit is {visit.status}; an outcome is recorded once, after check-in."
            )
        self._validate(visit, case, report, now)
        visit.status = "completed"
        visit.outcome = report.outcome
        visit.outcome_at = now
        visit.outcome_notes = report.notes
        visit.recording_ref = report.recording_ref
        if report.promise is not None:
            visit.promise_amount = report.promise.amount
            visit.promise_currency = report.promise.currency
            visit.promise_date = report.promise.date
        # Flushed first: the completed visit leaves the one-active-visit index before a
        # re-visit joins it.
        await self._visits.flush()
        await self._events.outcome_recorded(visit)
        next_attempt = None
        if report.outcome == "not_home":
            next_attempt = await self._after_nobody_home(visit, case, now)
        logger.info("visit outcome recorded", extra={**_ids(visit), "outcome": visit.outcome})
        return OutcomeResult(visit, next_attempt=next_attempt, replayed=False)

    def _validate(
        self, visit: Visit, case: CaseView | None, report: OutcomeReport, now: datetime
    ) -> None:
        conduct = self._settings.conduct
        if (
            conduct.recording_required
            and report.outcome not in NOBODY_SPOKEN_TO
            and not report.recording_ref
        ):
            raise RecordingRequiredError(
                f"pack {conduct.pack_key} requires a recording of every visit where someone "
                "was spoken to: send recording_ref."
            )
        promise = report.promise
        if report.outcome != "promise_to_pay":
            if promise is not None:
                raise InvalidOutcomeError("only a promise_to_pay outcome carries a promise.")
            return
        if promise is None:
            raise InvalidOutcomeError("promise_to_pay needs the promise: amount, currency, date.")
        if case is not None and case.currency is not None:
            if promise.currency != case.currency:
                raise PromiseCurrencyMismatchError(
                    f"the case is kept in {case.currency}; the promise says {promise.currency}."
                )
            if case.total_due is not None and promise.amount > case.total_due:
                raise InvalidOutcomeError("the promised amount exceeds the amount due.")
        today = field_terms(visit).today(now)
        if promise.date < today:
            raise InvalidOutcomeError("the promised date is in the past.")
        if promise.date > today + timedelta(days=PROMISE_MAX_DAYS_AHEAD):
            raise InvalidOutcomeError(
                f"the promised date is more than {PROMISE_MAX_DAYS_AHEAD} days ahead; "
                "propose an arrangement instead."
            )

    async def _after_nobody_home(
        self, visit: Visit, case: CaseView | None, now: datetime
    ) -> Visit | None:
        limit = self._settings.max_visit_attempts
        if not still_calls_for_a_visit(case):
            return None  # cured, on hold or moved on meanwhile: no re-visit
        if visit.attempt < limit:
            attempt = visit.attempt + 1
            revisit = follow_up_request(
                visit,
                code=AWAITING_PLAN,
                reason=f"re-visit after nobody was home (attempt {attempt} of {limit})",
                now=now,
                attempt=attempt,
            )
            self._visits.add(revisit)
            await self._visits.flush()
            return revisit
        if case is not None:
            # No more visits in this stage; case-api's ladder decides what comes next.
            case.visits_exhausted_stage = case.stage
            await self._cases.flush()
        logger.info("visit attempts exhausted for the stage", extra=_ids(visit))
        return None


def _visible(visit: Visit | None, visit_id: uuid.UUID, team_scope: uuid.UUID | None) -> Visit:
    """Another team's visit is not found for a collector, as in the visit reads."""
    if visit is None or (team_scope is not None and visit.team_id != team_scope):
        raise VisitNotFoundError(f"no visit {visit_id}")
    return visit


def _same_outcome(visit: Visit, report: OutcomeReport) -> bool:
    promise = report.promise
    return (
        visit.outcome == report.outcome
        and visit.outcome_notes == report.notes
        and visit.recording_ref == report.recording_ref
        and visit.promise_amount == (promise.amount if promise else None)
        and visit.promise_currency == (promise.currency if promise else None)
        and visit.promise_date == (promise.date if promise else None)
    )


def _ids(visit: Visit) -> dict[str, str]:
    return {"visit_id": str(visit.id), "case_id": str(visit.case_id)}
