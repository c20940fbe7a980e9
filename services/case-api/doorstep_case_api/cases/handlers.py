"""Status write-back: updates from the notifier and scheduler become timeline entries and, where
they are ladder facts (a notice sent, a visit attempted, a promise made), move the case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.cases.models import TimelineEntry
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.holds.service import place_hold
from doorstep_case_api.policy.model import CollectionPolicy
from doorstep_case_api.promises.exceptions import PromiseNotRecordedError
from doorstep_case_api.promises.service import record_promise
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    EventData,
    HoldType,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    NotificationSuppressed,
    VisitCancelled,
    VisitNoticeFailed,
    VisitNoticeSent,
    VisitOutcomeRecorded,
    VisitScheduled,
)
from doorstep_shared.events.envelope import EventEnvelope
from doorstep_shared.messaging.consumer import PermanentEventError

HANDLED_STATUS_TYPES = frozenset(
    model.event_type
    for model in (
        NotificationSent,
        NotificationFailed,
        NotificationDeferred,
        NotificationSuppressed,
        NotificationDelivered,
        VisitScheduled,
        VisitCancelled,
        VisitOutcomeRecorded,
        VisitNoticeSent,
        VisitNoticeFailed,
    )
)
# Outcomes where the collector reached the door: the visit was attempted.
_ATTEMPTED = {
    "met",
    "not_home",
    "refused",
    "promise_to_pay",
    "paid",
    "hardship",
    "dispute",
    "third_party_present",
}
_HOLD_FOR_OUTCOME: dict[str, HoldType] = {"hardship": "hardship", "dispute": "dispute"}


def describe(data: EventData) -> str:
    if isinstance(data, NotificationSent):
        return f"Overdue notice sent ({data.channel})."
    if isinstance(data, NotificationFailed):
        return f"Overdue notice failed ({data.channel}): {data.reason}"
    if isinstance(data, NotificationDeferred):
        decision = data.decision
        until = decision.not_before.isoformat() if decision.not_before else "later"
        return (
            f"Overdue notice ({data.channel}) deferred until {until} by rule "
            f"{decision.rule_id} (pack {decision.pack_id} {decision.pack_version}): "
            f"{decision.reason}"
        )
    if isinstance(data, NotificationSuppressed):
        decision = data.decision
        return (
            f"Overdue notice ({data.channel}) suppressed by rule {decision.rule_id} "
            f"(pack {decision.pack_id} {decision.pack_version}): {decision.reason}"
        )
    if isinstance(data, NotificationDelivered):
        return f"Overdue notice delivered ({data.channel})."
    if isinstance(data, VisitScheduled):
        return (
            f"Field visit scheduled {data.window_start.isoformat()} – "
            f"{data.window_end.isoformat()}."
        )
    if isinstance(data, VisitCancelled):
        return f"Field visit cancelled: {data.reason}"
    if isinstance(data, VisitNoticeSent):
        return f"Appointment notice for the field visit sent ({data.channel})."
    if isinstance(data, VisitNoticeFailed):
        return f"Appointment notice for the field visit failed ({data.channel}): {data.reason}"
    if isinstance(data, VisitOutcomeRecorded):
        return f"Field visit outcome: {data.outcome.replace('_', ' ')}."
    return data.event_type


ApplyStatus = Callable[[AsyncSession, EventEnvelope, EventData], Awaitable[None]]


def status_writeback(policy: CollectionPolicy, bank_timezone: str, source: str) -> ApplyStatus:
    async def apply(session: AsyncSession, envelope: EventEnvelope, data: EventData) -> None:
        cases = CaseRepository(session)
        case = await cases.lock(data.case_id)
        if case is None:
            raise PermanentEventError(f"status update for unknown case {data.case_id}")
        cases.add_timeline_entry(
            TimelineEntry(
                case_id=data.case_id,
                event_id=envelope.id,
                event_type=envelope.type,
                source=envelope.source,
                summary=describe(data),
                details=envelope.data,
                occurred_at=envelope.time,
                recorded_at=utc_now(),
            )
        )
        business_date = await BusinessDateService(session, bank_timezone).today()
        ctx = CaseRules(session, policy, business_date, source).context(case)
        await _apply_facts(ctx, data)

    return apply


async def _apply_facts(ctx: CaseContext, data: EventData) -> None:
    case = ctx.case
    if isinstance(data, VisitScheduled):
        case.assigned_team_id = data.collector_id
    elif isinstance(data, VisitCancelled):
        case.assigned_team_id = None
    if case.status != "open":
        return
    if isinstance(data, NotificationSent) and case.first_notice_sent_on is None:
        case.first_notice_sent_on = ctx.business_date
        await advance(ctx)
    elif isinstance(data, VisitOutcomeRecorded):
        await _apply_visit_outcome(ctx, data)


async def _apply_visit_outcome(ctx: CaseContext, data: VisitOutcomeRecorded) -> None:
    case = ctx.case
    if data.outcome in _ATTEMPTED and case.visit_attempted_on is None:
        case.visit_attempted_on = ctx.business_date
    if (
        data.outcome == "promise_to_pay"
        and data.promise_amount is not None
        and data.promise_date is not None
        and data.promise_currency == case.currency
    ):
        try:
            await record_promise(
                ctx,
                amount=data.promise_amount,
                promised_date=data.promise_date,
                channel="visit",
                recorded_by=f"collector team {data.collector_id}",
                source="visit",
            )
        except PromiseNotRecordedError as refused:
            # A late or invalid promise can never become valid: note it, don't retry forever.
            ctx.cases.add_timeline_entry(
                TimelineEntry(
                    case_id=case.id,
                    event_id=f"{data.visit_id}:promise-refused",
                    event_type="doorstep.case.promise_refused",
                    source="urn:doorstep:case-api",
                    summary=f"Promise from the visit not recorded: {refused.detail}",
                    details={"visit_id": str(data.visit_id)},
                    occurred_at=utc_now(),
                    recorded_at=utc_now(),
                )
            )
    hold_type = _HOLD_FOR_OUTCOME.get(data.outcome)
    if hold_type is not None and hold_type not in await ctx.cases.active_hold_types(case.id):
        await place_hold(
            ctx,
            hold_type=hold_type,
            reason="reported at a field visit",
            ends_on=None,
            placed_by="field visit",
        )
    await advance(ctx)
