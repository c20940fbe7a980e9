"""Applying a chunk of delinquency snapshots in one transaction, with the single PUT's rules.

The fast path checks every record against its locked account first, then writes customers and
new accounts with one multi-row statement each and loads the open cases with one query; each
record's case then goes through the same code as the single PUT. If anything unexpected fails,
the chunk is redone record by record, each in its own savepoint, so a bad record rejects only
itself.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import SQLAlchemyError

from doorstep_case_api.accounts.batch_reader import RawRecord
from doorstep_case_api.accounts.batch_repository import BatchRepository, account_row
from doorstep_case_api.accounts.batch_schemas import BatchRecord, RecordProblem, RecordResult
from doorstep_case_api.accounts.models import Account, IntakeBatchChunk
from doorstep_case_api.accounts.personal_data import PersonalDataCodec
from doorstep_case_api.accounts.service import (
    IntakeOutput,
    IntakeService,
    check_against_account,
    customer_digest,
    customer_fields,
    update_account,
)
from doorstep_case_api.cases.context import CaseRules
from doorstep_case_api.cases.models import Case
from doorstep_case_api.visit_terms.service import VisitTermsService
from doorstep_shared.clock import utc_now
from doorstep_shared.errors import PROBLEM_BASE, ProblemError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkOutcome:
    results: list[RecordResult]
    replayed: bool


@dataclass
class _Known:
    """What a record is checked against: the account as the records before it left it."""

    last_as_of_date: date
    currency: str


class BatchIntakeService:
    def __init__(self, rules: CaseRules, personal_data: PersonalDataCodec) -> None:
        self._rules = rules
        self._personal_data = personal_data
        self._batches = BatchRepository(rules.session)
        self._intake = IntakeService(rules, personal_data)

    async def apply_chunk(
        self, batch_id: str, chunk_index: int, records: list[RawRecord]
    ) -> ChunkOutcome:
        digest = hashlib.sha256(b"".join(record.digest for record in records)).hexdigest()
        stored = await self._batches.applied_chunk(batch_id, chunk_index)
        if stored is not None:
            if stored.digest == digest:
                return ChunkOutcome([RecordResult.model_validate(r) for r in stored.results], True)
            return ChunkOutcome([_reused(record) for record in records], False)
        session = self._rules.session
        try:
            async with session.begin_nested():
                results = await self._apply_together(records)
        except (ProblemError, SQLAlchemyError):
            logger.warning(
                "batch chunk failed as a whole; applying its records one by one",
                extra={"batch_id": batch_id, "chunk_index": chunk_index},
                exc_info=True,
            )
            results = await self._apply_one_by_one(records)
        self._batches.add_applied_chunk(
            IntakeBatchChunk(
                batch_id=batch_id,
                chunk_index=chunk_index,
                digest=digest,
                results=[result.model_dump(mode="json") for result in results],
                created_at=utc_now(),
            )
        )
        return ChunkOutcome(results, False)

    async def _apply_together(self, records: list[RawRecord]) -> list[RecordResult]:
        now = utc_now()
        results: dict[int, RecordResult] = {}
        accepted: list[tuple[RawRecord, BatchRecord]] = []
        for raw in records:
            if raw.record is None:
                results[raw.index] = _rejected(raw, raw.problem)
        valid = [raw for raw in records if raw.record is not None]
        existing = await self._batches.lock_accounts(raw.account_id or "" for raw in valid)
        known = {key: _Known(a.last_as_of_date, a.currency) for key, a in existing.items()}
        for raw in valid:
            record = raw.record
            assert record is not None
            refusal = _screen(record, known)
            if refusal is not None:
                results[raw.index] = _rejected(raw, _problem_of(refusal))
                continue
            accepted.append((raw, record))

        snapshots = [record for _, record in accepted]
        customer_ids = await self._upsert_customers(snapshots, now)
        accounts, raced = await self._create_accounts(snapshots, existing, customer_ids, now)
        for record in snapshots:
            if record.customer.visit_terms is not None:
                # Only when reported: a snapshot without terms keeps what operations recorded.
                await VisitTermsService(self._rules.session).record_reported(
                    customer_ids[record.customer.customer_id], record.customer.visit_terms, now
                )
        open_cases = await self._batches.open_cases(record.account_id for record in snapshots)
        rules = await self._rules.with_locked_cases(open_cases.values())
        intake = IntakeService(rules, self._personal_data)
        for raw, record in accepted:
            account = accounts[record.account_id]
            if record.account_id in raced:
                # Created by another request after this chunk looked: check against it too.
                refusal = _check(account.last_as_of_date, account.currency, record)
                if refusal is not None:
                    results[raw.index] = _rejected(raw, _problem_of(refusal))
                    continue
            update_account(account, customer_ids[record.customer.customer_id], record, now)
            case = open_cases.get(record.account_id)
            output = await intake.apply_to_case(record.account_id, record, case, now)
            _track_open_case(open_cases, record.account_id, output)
            results[raw.index] = _applied(raw.index, record.account_id, output)
        await rules.flush_events()
        await self._rules.session.flush()  # inside the savepoint: a failure here is isolated
        return [results[raw.index] for raw in records]

    async def _upsert_customers(
        self, accepted: list[BatchRecord], now: datetime
    ) -> dict[str, uuid.UUID]:
        # The last snapshot of a customer wins, as it would with one PUT after another.
        latest = {record.customer.customer_id: record.customer for record in accepted}
        known = await self._batches.customer_digests(sorted(latest))
        ids = {}
        rows = []
        for external_id in sorted(latest):
            customer = latest[external_id]
            stored = known.get(external_id)
            digest = customer_digest(customer, self._personal_data)
            if stored is not None and stored[1] == digest:
                ids[external_id] = stored[0]  # reported as stored: nothing to re-encrypt
                continue
            fields = customer_fields(customer, now, self._personal_data, digest)
            rows.append({"external_id": external_id, **fields})
        return {**ids, **await self._batches.upsert_customers(rows)}

    async def _create_accounts(
        self,
        accepted: list[BatchRecord],
        existing: dict[str, Account],
        customer_ids: dict[str, uuid.UUID],
        now: datetime,
    ) -> tuple[dict[str, Account], set[str]]:
        """All the chunk's accounts, locked, and the ids another request created meanwhile."""
        first_of_new: dict[str, BatchRecord] = {}
        for record in accepted:
            if record.account_id not in existing:
                first_of_new.setdefault(record.account_id, record)
        rows = [
            account_row(
                account_id,
                customer_ids[record.customer.customer_id],
                record.loan.product,
                record.loan.currency,
                record.as_of_date,
                now,
            )
            for account_id, record in sorted(first_of_new.items())
        ]
        new_accounts, created = await self._batches.create_accounts(rows)
        return {**existing, **new_accounts}, set(new_accounts) - created

    async def _apply_one_by_one(self, records: list[RawRecord]) -> list[RecordResult]:
        session = self._rules.session
        results = []
        for raw in records:
            if raw.record is None:
                results.append(_rejected(raw, raw.problem))
                continue
            try:
                async with session.begin_nested():
                    output = await self._intake.apply_snapshot(raw.record.account_id, raw.record)
            except ProblemError as exc:
                results.append(_rejected(raw, _problem_of(exc)))
                continue
            except SQLAlchemyError:
                logger.exception("batch record failed", extra={"record_index": raw.index})
                results.append(_rejected(raw, _not_applied()))
                continue
            results.append(_applied(raw.index, raw.record.account_id, output))
        return results


def _screen(record: BatchRecord, known: dict[str, _Known]) -> ProblemError | None:
    """Check against the account as the earlier records left it; remember this one."""
    state = known.get(record.account_id)
    if state is not None:
        refusal = _check(state.last_as_of_date, state.currency, record)
        if refusal is not None:
            return refusal
        state.last_as_of_date = record.as_of_date
        return None
    known[record.account_id] = _Known(record.as_of_date, record.loan.currency)
    return None


def _check(last_as_of_date: date, currency: str, record: BatchRecord) -> ProblemError | None:
    try:
        check_against_account(last_as_of_date, currency, record)
    except ProblemError as exc:
        return exc
    return None


def _track_open_case(open_cases: dict[str, Case], account_id: str, output: IntakeOutput) -> None:
    if output.outcome == "opened" and output.case is not None:
        open_cases[account_id] = output.case
    elif output.outcome == "resolved":
        open_cases.pop(account_id, None)


def _applied(index: int, account_id: str, output: IntakeOutput) -> RecordResult:
    unchanged = output.outcome in ("unchanged", "no_case")
    return RecordResult(
        index=index,
        account_id=account_id,
        result="unchanged" if unchanged else "applied",
        outcome=output.outcome,
        case_id=output.case.id if output.case else None,
    )


def _problem_of(error: ProblemError) -> RecordProblem:
    return RecordProblem(
        type=PROBLEM_BASE + error.type_slug, title=error.title, detail=error.detail
    )


def _not_applied() -> RecordProblem:
    return RecordProblem(
        type=PROBLEM_BASE + "internal-error",
        title="Record could not be applied",
        detail="This record failed on our side and changed nothing; send it again later.",
    )


def _reused(raw: RawRecord) -> RecordResult:
    problem = RecordProblem(
        type=PROBLEM_BASE + "batch-id-reused",
        title="Batch id was used for other records",
        detail="This part of the batch id was first sent with other records; nothing was "
        "applied. Use a new batch id for a new batch.",
    )
    return _rejected(raw, problem)


def _rejected(raw: RawRecord, problem: RecordProblem | None) -> RecordResult:
    return RecordResult(
        index=raw.index, account_id=raw.account_id, result="rejected", reason=problem
    )
