"""Applying a delinquency snapshot: opens, updates or resolves the account's case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.exceptions import CurrencyChangedError, StaleSnapshotError
from doorstep_case_api.accounts.models import Account
from doorstep_case_api.accounts.personal_data import PersonalData, PersonalDataCodec
from doorstep_case_api.accounts.repository import AccountRepository
from doorstep_case_api.accounts.schemas import CustomerSnapshot, DelinquencySnapshot, IntakeOutcome
from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.cases.ladder import entry_stage
from doorstep_case_api.cases.lifecycle import resolve_case
from doorstep_case_api.cases.models import Case, StageTransition
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.charges.service import charge_late_fee
from doorstep_case_api.visit_terms.service import VisitTermsService
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseOpened, CaseUpdated
from doorstep_shared.money import Money


@dataclass(frozen=True)
class IntakeOutput:
    outcome: IntakeOutcome
    case: Case | None


class IntakeService:
    def __init__(self, rules: CaseRules, personal_data: PersonalDataCodec | None = None) -> None:
        self._rules = rules
        # Without a codec (tests and scripts only) the published local-development keys are
        # used; the HTTP intake always passes the app's codec built from settings.
        self._personal_data = personal_data or PersonalDataCodec.local_development()
        self._accounts = AccountRepository(rules.session)
        self._cases = rules.repository()

    async def apply_snapshot(self, account_id: str, snapshot: DelinquencySnapshot) -> IntakeOutput:
        now = utc_now()
        loan = snapshot.loan
        customer_id = await self._accounts.upsert_customer(
            snapshot.customer.customer_id,
            customer_fields(
                snapshot.customer,
                now,
                self._personal_data,
                customer_digest(snapshot.customer, self._personal_data),
            ),
        )
        if snapshot.customer.visit_terms is not None:
            # Only when reported: a snapshot without terms keeps what operations recorded.
            await VisitTermsService(self._rules.session).record_reported(
                customer_id, snapshot.customer.visit_terms, now
            )
        account, created = await self._accounts.lock_or_create_account(
            account_id,
            customer_id=customer_id,
            product=loan.product,
            currency=loan.currency,
            as_of_date=snapshot.as_of_date,
            now=now,
        )
        if not created:
            check_against_account(account.last_as_of_date, account.currency, snapshot)
            update_account(account, customer_id, snapshot, now)

        case = await self._cases.open_case_for_account(account_id)
        # The case is locked: its holds and arrangements cannot change before the commit, so
        # they are read once, and the snapshot's events go to the outbox in one statement.
        rules = await self._rules.with_locked_cases([case] if case else [])
        output = await IntakeService(rules, self._personal_data).apply_to_case(
            account_id, snapshot, case, now
        )
        await rules.flush_events()
        return output

    async def apply_to_case(
        self, account_id: str, snapshot: DelinquencySnapshot, case: Case | None, now: datetime
    ) -> IntakeOutput:
        """The case part of a snapshot already checked against its (locked) account; ``case``
        is the account's open case, if any, locked too."""
        loan = snapshot.loan
        if loan.arrears.total == 0:
            if case is None:
                return IntakeOutput("no_case", None)
            _apply_amounts(case, snapshot)
            await resolve_case(
                self._rules.context(case),
                "cured",
                f"Case resolved: core banking reports no arrears as of {snapshot.as_of_date}.",
            )
            return IntakeOutput("resolved", case)
        if case is None:
            return IntakeOutput("opened", await self._open(account_id, snapshot, now))
        return IntakeOutput(await self._update(self._rules.context(case), snapshot), case)

    async def _open(self, account_id: str, snapshot: DelinquencySnapshot, now: datetime) -> Case:
        loan = snapshot.loan
        policy = self._rules.policy.for_product(loan.product)
        entry = entry_stage(policy, loan.days_past_due)
        case = Case(
            id=uuid.uuid4(),
            account_id=account_id,
            status="open",
            stage=entry.stage.name,
            product=loan.product,
            currency=loan.currency,
            as_of_date=snapshot.as_of_date,
            opened_at=now,
            last_sequence=0,
            updated_at=now,
            stage_entered_on=self._rules.business_date,
            broken_promises=0,
            broken_arrangements=0,
            late_fee_charged=Decimal(0),
            penalty_interest_charged=Decimal(0),
        )
        _apply_amounts(case, snapshot)
        self._cases.add(case)
        if not self._cases.opened_unwritten(case.id):
            await self._cases.flush()
        ctx = self._rules.context(case)
        ctx.cases.add_stage_transition(
            StageTransition(
                case_id=case.id,
                from_stage=None,
                to_stage=entry.stage.name,
                business_date=self._rules.business_date,
                reason=entry.reason,
                created_at=now,
            )
        )
        total = Money(case.total_arrears, case.currency).formatted()
        await ctx.events.record(
            case,
            policy,
            CaseOpened,
            f"Case opened: {total} overdue, {case.days_past_due} days past due; {entry.reason}.",
            opened_at=now,
        )
        await charge_late_fee(ctx)
        await advance(ctx)
        return case

    async def _update(self, ctx: CaseContext, snapshot: DelinquencySnapshot) -> IntakeOutcome:
        case = ctx.case
        before = _amounts(case)
        _apply_amounts(case, snapshot)
        if _amounts(case) == before:
            return "unchanged"
        total = Money(case.total_arrears, case.currency).formatted()
        await ctx.events.record(
            case,
            ctx.policy,
            CaseUpdated,
            f"Arrears updated: {total} overdue, {case.days_past_due} days past due.",
        )
        stage_before = case.stage
        await advance(ctx)
        return "stage_changed" if case.stage != stage_before else "updated"


def check_against_account(
    last_as_of_date: date, currency: str, snapshot: DelinquencySnapshot
) -> None:
    """Refuse a snapshot older than the account's last applied one, or in another currency."""
    if snapshot.as_of_date < last_as_of_date:
        raise StaleSnapshotError(
            f"as_of_date {snapshot.as_of_date} is older than the last applied "
            f"{last_as_of_date}; nothing was changed.",
            last_as_of_date=last_as_of_date.isoformat(),
        )
    if snapshot.loan.currency != currency:
        raise CurrencyChangedError(
            f"account is kept in {currency}; snapshot says {snapshot.loan.currency}."
        )


def update_account(
    account: Account, customer_id: uuid.UUID, snapshot: DelinquencySnapshot, now: datetime
) -> None:
    account.customer_id = customer_id
    account.product = snapshot.loan.product
    account.last_as_of_date = snapshot.as_of_date
    account.updated_at = now


def _amounts(case: Case) -> tuple[object, ...]:
    return (
        case.principal,
        case.interest,
        case.fees,
        case.penalties,
        case.days_past_due,
        case.oldest_unpaid_due_date,
        case.product,
    )


def _apply_amounts(case: Case, snapshot: DelinquencySnapshot) -> None:
    loan = snapshot.loan
    case.principal = loan.arrears.principal
    case.interest = loan.arrears.interest
    case.fees = loan.arrears.fees
    case.penalties = loan.arrears.penalties
    case.days_past_due = loan.days_past_due
    case.oldest_unpaid_due_date = loan.oldest_unpaid_due_date
    case.product = loan.product
    case.as_of_date = snapshot.as_of_date


def customer_fields(
    customer: CustomerSnapshot, now: datetime, personal_data: PersonalDataCodec, digest: str
) -> dict[str, object]:
    """The customer row's columns, encrypted; ``digest`` is ``customer_digest`` of it."""
    address = customer.address
    plain = PersonalData(
        name=customer.name,
        phone=customer.phone,
        email=customer.email,
        national_id=customer.national_id,
        address_line1=address.line1 if address else None,
        address_line2=address.line2 if address else None,
        postal_code=address.postal_code if address else None,
        city=address.city if address else None,
        latitude=address.latitude if address else None,
        longitude=address.longitude if address else None,
    )
    return {
        **personal_data.encrypt(plain),
        "snapshot_digest": digest,
        "region": address.region if address else None,
        "country": address.country if address else None,
        "timezone": customer.timezone,
        "preferred_language": customer.preferred_language,
        "contact_preferences": customer.contact_preferences.model_dump(mode="json"),
        "updated_at": now,
    }


def customer_digest(customer: CustomerSnapshot, personal_data: PersonalDataCodec) -> str:
    # Visit terms are kept apart (their own table and rules), so they are not part of it.
    return personal_data.snapshot_digest(customer.model_dump_json(exclude={"visit_terms"}))


class CustomerLookup:
    """Finds customers by an exact phone or national id through the blind indexes; the
    encrypted columns themselves cannot be searched."""

    def __init__(self, session: AsyncSession, personal_data: PersonalDataCodec) -> None:
        self._accounts = AccountRepository(session)
        self._personal_data = personal_data

    async def by_phone(self, phone: str) -> list[uuid.UUID]:
        index = self._personal_data.phone_index(phone)
        return list(await self._accounts.customer_ids_by_phone_index(index))

    async def by_national_id(self, national_id: str) -> list[uuid.UUID]:
        index = self._personal_data.national_id_index(national_id)
        return list(await self._accounts.customer_ids_by_national_id_index(index))
