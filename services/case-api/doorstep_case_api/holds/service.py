"""Holds: pausing all collection contact on a case, and resuming it.

One event per change (``CaseHoldPlaced`` / ``CaseHoldLifted``) carries ``holds`` and
``collection_paused`` in the case state: the notifier and scheduler obey that event alone, so a
hold freezes every channel and every visit at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.audit_trail import record_decision
from doorstep_case_api.cases.context import CaseContext
from doorstep_case_api.cases.exceptions import CaseNotFoundError
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_case_api.holds.exceptions import (
    CaseClosedError,
    HoldAlreadyActiveError,
    HoldNotActiveError,
    HoldNotFoundError,
    InvalidHoldPeriodError,
    UnknownHoldTypeError,
)
from doorstep_case_api.holds.models import Hold
from doorstep_case_api.holds.repository import HoldRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseHoldLifted, CaseHoldPlaced

LiftCause = Literal["operations", "expired"]
SYSTEM_ACTOR = "doorstep"


@dataclass(frozen=True, slots=True)
class HoldRule:
    freezes_fees: bool
    # When set, the hold needs an end date at most this many days after it starts.
    max_days: int | None = None


# Whether a hold also stops Doorstep's own charges (late fees, penalty interest), and why:
HOLD_RULES: dict[str, HoldRule] = {
    # UK breathing space (Debt Respite Scheme 2020): contact stops and interest, fees and
    # charges are frozen; a standard moratorium lasts at most 60 days.
    "moratorium": HoldRule(freezes_fees=True, max_days=60),
    # Forbearance for a customer in financial difficulty (FCA CONC 7.3): adding charges while
    # they cannot pay only deepens the arrears.
    "hardship": HoldRule(freezes_fees=True),
    # Insolvency: the claim is fixed at the bankruptcy date; nothing accrues on it afterwards.
    "bankruptcy": HoldRule(freezes_fees=True),
    # The estate is not charged while it is being administered.
    "deceased": HoldRule(freezes_fees=True),
    # A dispute stops collection until the debt is verified (12 CFR 1006.38), but the contract
    # still runs: if the debt is confirmed, the charges stand.
    "dispute": HoldRule(freezes_fees=False),
    # A request not to be contacted changes how Doorstep may reach the customer, not the debt.
    "cease_contact": HoldRule(freezes_fees=False),
}


async def place_hold(
    ctx: CaseContext,
    *,
    hold_type: str,
    reason: str,
    ends_on: date | None,
    placed_by: str,
    actor: str | None = None,
) -> Hold:
    """Pause all collection on the case from today's business date.

    ``actor`` is who the audit log names (the authenticated caller); ``placed_by`` if none.
    """
    case = ctx.case
    if case.status != "open":
        raise CaseClosedError(f"case {case.id} is {case.status}; holds apply to open cases.")
    rule = HOLD_RULES.get(hold_type)
    if rule is None:
        raise UnknownHoldTypeError(f"{hold_type!r} is not one of {', '.join(HOLD_RULES)}.")
    _check_period(rule, hold_type, ctx.business_date, ends_on)
    if hold_type in await ctx.cases.active_hold_types(case.id):
        raise HoldAlreadyActiveError(
            f"the case already has an active {hold_type} hold; lift it or keep it.",
            hold_type=hold_type,
        )
    hold = Hold(
        id=uuid.uuid4(),
        case_id=case.id,
        hold_type=hold_type,
        reason=reason,
        freezes_fees=rule.freezes_fees,
        starts_on=ctx.business_date,
        ends_on=ends_on,
        placed_by=placed_by,
        placed_at=utc_now(),
    )
    await HoldRepository(ctx.session).add(hold)
    until = f" until {ends_on}" if ends_on else ""
    frozen = "; charges frozen" if rule.freezes_fees else ""
    await ctx.events.record(
        case,
        ctx.policy,
        CaseHoldPlaced,
        f"{_label(hold_type)} hold placed by {placed_by}{until}: {reason}. "
        f"All collection contact paused{frozen}.",
        hold_id=hold.id,
        hold_type=hold_type,
        freezes_fees=rule.freezes_fees,
        ends_on=ends_on,
    )
    await record_decision(
        ctx.session,
        actor=actor or placed_by,
        action="hold.placed",
        case_id=case.id,
        details={
            "hold_id": str(hold.id),
            "hold_type": hold_type,
            "freezes_fees": rule.freezes_fees,
            "ends_on": None if ends_on is None else ends_on.isoformat(),
            "placed_by": placed_by,
        },
    )
    return hold


async def lift_hold(
    ctx: CaseContext,
    hold: Hold,
    *,
    reason: str,
    lifted_by: str,
    because: LiftCause,
    actor: str | None = None,
) -> None:
    """End the hold; collection resumes if no other hold or arrangement pauses it.

    ``hold`` must be loaded in ``ctx.session`` (``find_hold``): changes to a row from another
    session would be lost without a sound. ``actor`` is who the audit log names; ``lifted_by``
    if none.
    """
    if hold not in ctx.session:
        raise ValueError("lift_hold needs the hold loaded in the case context's session")
    if hold.lifted_on is not None:
        raise HoldNotActiveError(f"hold {hold.id} was lifted on {hold.lifted_on}.")
    holds = HoldRepository(ctx.session)
    hold.lifted_on = ctx.business_date
    hold.lifted_by = lifted_by
    hold.lift_reason = reason
    await holds.flush()
    if hold.freezes_fees and not await holds.fees_frozen(ctx.case.id):
        _skip_frozen_days(ctx, hold)
    await ctx.events.record(
        ctx.case,
        ctx.policy,
        CaseHoldLifted,
        f"{_label(hold.hold_type)} hold lifted by {lifted_by}: {reason}.",
        hold_id=hold.id,
        hold_type=hold.hold_type,
        lifted_because=because,
    )
    await advance(ctx)
    await record_decision(
        ctx.session,
        actor=actor or lifted_by,
        action="hold.lifted",
        case_id=ctx.case.id,
        details={
            "hold_id": str(hold.id),
            "hold_type": hold.hold_type,
            "lifted_by": lifted_by,
            "because": because,
        },
    )


async def expire_holds(ctx: CaseContext) -> None:
    """Daily: lift every hold whose end date has passed. Running it twice lifts nothing more."""
    for hold in await HoldRepository(ctx.session).ended_before(ctx.case.id, ctx.business_date):
        await lift_hold(
            ctx,
            hold,
            reason=f"its period ended on {hold.ends_on}",
            lifted_by=SYSTEM_ACTOR,
            because="expired",
        )


@dataclass(frozen=True, slots=True)
class CaseHolds:
    case: Case
    holds: Sequence[Hold]


async def list_holds(session: AsyncSession, case_id: uuid.UUID) -> CaseHolds:
    """The case (for its ETag) and every hold it had, oldest first."""
    case = await CaseRepository(session).get(case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    return CaseHolds(case, await HoldRepository(session).for_case(case_id))


async def find_hold(ctx: CaseContext, hold_id: uuid.UUID) -> Hold:
    hold = await HoldRepository(ctx.session).get(ctx.case.id, hold_id)
    if hold is None:
        raise HoldNotFoundError(f"case {ctx.case.id} has no hold {hold_id}")
    return hold


def _check_period(rule: HoldRule, hold_type: str, starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise InvalidHoldPeriodError(f"ends_on {ends_on} is before the business date {starts_on}.")
    if rule.max_days is None:
        return
    latest = starts_on + timedelta(days=rule.max_days)
    if ends_on is None or ends_on > latest:
        raise InvalidHoldPeriodError(
            f"a {hold_type} hold needs ends_on no later than {latest} "
            f"({rule.max_days} days from {starts_on}).",
            latest_ends_on=latest.isoformat(),
        )


def _skip_frozen_days(ctx: CaseContext, hold: Hold) -> None:
    # Penalty interest accrues for the days since ``charges_accrued_through``. Move that mark
    # to the hold's last day, so the next accrual starts after the freeze: frozen days are
    # never charged later, however rarely accrual runs.
    last_frozen_day = min(ctx.business_date, hold.ends_on or ctx.business_date)
    case = ctx.case
    if case.charges_accrued_through is None or case.charges_accrued_through < last_frozen_day:
        case.charges_accrued_through = last_frozen_day


def _label(hold_type: str) -> str:
    return hold_type.replace("_", " ").capitalize()
