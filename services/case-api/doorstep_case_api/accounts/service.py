"""Applying a delinquency snapshot: opens, updates or resolves the account's case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_case_api.accounts.exceptions import CurrencyChangedError, StaleSnapshotError
from doorstep_case_api.accounts.repository import AccountRepository
from doorstep_case_api.accounts.schemas import DelinquencySnapshot, IntakeOutcome
from doorstep_case_api.cases.events import CaseEventRecorder, case_state_fields
from doorstep_case_api.cases.ladder import stage_for
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.repository import CaseRepository
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import CaseOpened, CaseResolved, CaseStageChanged, CaseUpdated
from doorstep_shared.money import Money


@dataclass(frozen=True)
class IntakeOutput:
    outcome: IntakeOutcome
    case: Case | None


class IntakeService:
    def __init__(self, session: AsyncSession, event_source: str) -> None:
        self._accounts = AccountRepository(session)
        self._cases = CaseRepository(session)
        self._events = CaseEventRecorder(session, self._cases, event_source)

    async def apply_snapshot(self, account_id: str, snapshot: DelinquencySnapshot) -> IntakeOutput:
        now = utc_now()
        loan = snapshot.loan
        customer_id = await self._accounts.upsert_customer(
            snapshot.customer.customer_id, _customer_fields(snapshot, now)
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
            if snapshot.as_of_date < account.last_as_of_date:
                raise StaleSnapshotError(
                    f"as_of_date {snapshot.as_of_date} is older than the last applied "
                    f"{account.last_as_of_date}; nothing was changed.",
                    last_as_of_date=account.last_as_of_date.isoformat(),
                )
            if loan.currency != account.currency:
                raise CurrencyChangedError(
                    f"account is kept in {account.currency}; snapshot says {loan.currency}."
                )
            account.customer_id = customer_id
            account.product = loan.product
            account.last_as_of_date = snapshot.as_of_date
            account.updated_at = now

        case = await self._cases.open_case_for_account(account_id)
        if loan.arrears.total == 0:
            if case is None:
                return IntakeOutput("no_case", None)
            await self._resolve(case, snapshot)
            return IntakeOutput("resolved", case)
        if case is None:
            return IntakeOutput("opened", await self._open(account_id, snapshot))
        return IntakeOutput(await self._update(case, snapshot), case)

    async def _open(self, account_id: str, snapshot: DelinquencySnapshot) -> Case:
        now = utc_now()
        loan = snapshot.loan
        stage = stage_for(loan.days_past_due)
        case = Case(
            id=uuid.uuid4(),
            account_id=account_id,
            status="open",
            stage=stage.name,
            product=loan.product,
            currency=loan.currency,
            principal=loan.arrears.principal,
            interest=loan.arrears.interest,
            fees=loan.arrears.fees,
            penalties=loan.arrears.penalties,
            days_past_due=loan.days_past_due,
            oldest_unpaid_due_date=loan.oldest_unpaid_due_date,
            as_of_date=snapshot.as_of_date,
            opened_at=now,
            last_sequence=0,
            updated_at=now,
        )
        self._cases.add(case)
        await self._cases.flush()
        event = CaseOpened(**case_state_fields(case), opened_at=now)
        total = Money(case.total_arrears, case.currency).formatted()
        await self._events.record(
            case,
            event,
            f"Case opened: {total} overdue, {case.days_past_due} days past due; "
            f"stage {stage.describe()}.",
        )
        return case

    async def _update(self, case: Case, snapshot: DelinquencySnapshot) -> IntakeOutcome:
        loan = snapshot.loan
        new_values = {
            "principal": loan.arrears.principal,
            "interest": loan.arrears.interest,
            "fees": loan.arrears.fees,
            "penalties": loan.arrears.penalties,
            "days_past_due": loan.days_past_due,
            "oldest_unpaid_due_date": loan.oldest_unpaid_due_date,
            "product": loan.product,
        }
        changed = {k for k, v in new_values.items() if getattr(case, k) != v}
        case.as_of_date = snapshot.as_of_date
        if not changed:
            return "unchanged"
        for key, value in new_values.items():
            setattr(case, key, value)
        case.updated_at = utc_now()
        previous_stage = case.stage
        stage = stage_for(loan.days_past_due)
        total = Money(case.total_arrears, case.currency).formatted()
        if stage.name != previous_stage:
            case.stage = stage.name
            reason = (
                f"{case.days_past_due} days past due on {snapshot.as_of_date} puts the case in "
                f"{stage.describe()}"
            )
            event: CaseUpdated | CaseStageChanged = CaseStageChanged(
                **case_state_fields(case),
                previous_stage=previous_stage,
                reason=reason,
            )
            await self._events.record(
                case, event, f"Stage {previous_stage} → {stage.name}: {reason}; {total} overdue."
            )
            return "stage_changed"
        event = CaseUpdated(**case_state_fields(case))
        await self._events.record(
            case,
            event,
            f"Arrears updated: {total} overdue, {case.days_past_due} days past due.",
        )
        return "updated"

    async def _resolve(self, case: Case, snapshot: DelinquencySnapshot) -> None:
        now = utc_now()
        for name in ("principal", "interest", "fees", "penalties"):
            setattr(case, name, getattr(snapshot.loan.arrears, name))
        case.days_past_due = snapshot.loan.days_past_due
        case.as_of_date = snapshot.as_of_date
        case.status = "resolved"
        case.resolved_at = now
        case.resolution_reason = "cured"
        case.updated_at = now
        event = CaseResolved(
            **case_state_fields(case),
            reason="cured",
            resolved_at=now,
        )
        await self._events.record(
            case, event, f"Case resolved: arrears paid back to zero as of {snapshot.as_of_date}."
        )


def _customer_fields(snapshot: DelinquencySnapshot, now: object) -> dict[str, object]:
    customer = snapshot.customer
    address = customer.address
    return {
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address_line1": address.line1 if address else None,
        "address_line2": address.line2 if address else None,
        "city": address.city if address else None,
        "region": address.region if address else None,
        "postal_code": address.postal_code if address else None,
        "country": address.country if address else None,
        "latitude": address.latitude if address else None,
        "longitude": address.longitude if address else None,
        "timezone": customer.timezone,
        "preferred_language": customer.preferred_language,
        "updated_at": now,
    }
