"""Legal referral: a case the ladder escalates, its dossier, confirmation and return."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from doorstep_case_api.arrangements.models import Arrangement, ArrangementInstalment
from doorstep_case_api.cases.models import StageTransition
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.legal.models import LegalReferral
from doorstep_case_api.promises.models import Promise
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import NotificationSent, VisitOutcomeRecorded, VisitScheduled
from tests.case_api.test_holds import DAY_0, CaseDb, api, case_db, day, pin

VISIT_AT = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[CaseDb]:
    async with case_db(database_url) as found:
        yield found


async def drive_into_legal(db: CaseDb, account: str = "ACC-L") -> uuid.UUID:
    """95 days past due: notice sent, a week later the field stage, a visit attempt -> legal."""
    case_id = await db.open_case(account, dpd=95)
    await db.status_update(
        NotificationSent(
            case_id=case_id, notification_id=uuid.uuid4(), channel="sms",
            trigger_event_id="evt-open", sent_at=utc_now(),
        ),
        DAY_0,
    )  # fmt: skip
    async with db.change(case_id, day(7)) as ctx:
        await advance(ctx)
        assert ctx.case.stage == "field"
    team = uuid.uuid4()
    await db.status_update(
        VisitScheduled(
            case_id=case_id, visit_id=uuid.uuid4(), collector_id=team,
            window_start=VISIT_AT, window_end=VISIT_AT,
        ),
        day(7),
    )  # fmt: skip
    await db.status_update(
        VisitOutcomeRecorded(
            case_id=case_id, visit_id=uuid.uuid4(), collector_id=team, outcome="not_home",
            visited_at=VISIT_AT,
        ),
        day(8),
    )  # fmt: skip
    return case_id


async def add_broken_promise_and_arrangement(db: CaseDb, case_id: uuid.UUID) -> None:
    """Records the dossier must carry (written directly: their services are not under test)."""
    now = utc_now()
    arrangement_id = uuid.uuid4()
    async with db.sessionmaker() as session, session.begin():
        session.add(
            Promise(
                case_id=case_id, amount=Decimal("300.00"), currency="CNY",
                promised_date=day(3), channel="phone", recorded_by="ops-anna",
                source="operations", status="broken", paid_towards=Decimal("50.00"),
                recorded_on=day(1), settled_on=day(4), created_at=now,
            )
        )  # fmt: skip
        session.add(
            Arrangement(
                id=arrangement_id, case_id=case_id, kind="instalment_plan", status="broken",
                amount=Decimal("600.00"), currency="CNY", frequency="weekly", instalment_count=2,
                first_due_date=day(2), proposed_by="ops-anna", decided_by="ops-ben",
                proposed_on=day(1), activated_on=day(1), ended_on=day(6), created_at=now,
            )
        )  # fmt: skip
        await session.flush()
        session.add_all(
            ArrangementInstalment(
                arrangement_id=arrangement_id, number=number, due_date=day(2 + 7 * (number - 1)),
                amount=Decimal("300.00"), paid_amount=Decimal(0), status=status,
            )
            for number, status in ((1, "missed"), (2, "due"))
        )  # fmt: skip


async def referrals(db: CaseDb, case_id: uuid.UUID) -> list[LegalReferral]:
    async with db.sessionmaker() as session:
        result = await session.execute(
            select(LegalReferral).where(LegalReferral.case_id == case_id)
        )
        return list(result.scalars())


async def test_a_case_the_ladder_escalates_has_a_referral_in_review(db: CaseDb) -> None:
    case_id = await drive_into_legal(db)
    case = await db.case(case_id)
    assert case.stage == "legal"
    [referral] = await referrals(db, case_id)
    assert (referral.status, referral.entered_on) == ("in_review", day(8))
    assert "visit attempted" in referral.trigger
    entered = (await db.events(case_id))[-1]
    assert (entered["type"], entered["treatment"]) == (
        "doorstep.case.stage_changed.v1", "legal_review"
    )  # fmt: skip


async def test_confirmation_stores_the_dossier_with_balance_and_histories(
    database_url: str,
) -> None:
    async with api(database_url) as (client, db):
        case_id = await drive_into_legal(db)
        await add_broken_promise_and_arrangement(db, case_id)
        await pin(db, day(9))
        url = f"/v1/cases/{case_id}/legal-referral"

        current = await client.get(url)
        assert current.status_code == 200, current.text
        assert current.json()["referral"]["status"] == "in_review"
        assert current.json()["confirmed_dossier"] is None

        confirmed = await client.post(
            f"{url}/confirm",
            json={"decided_by": "legal-1", "reason": "records complete"},
            headers={"If-Match": current.headers["etag"]},
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["referral"]["status"] == "confirmed"

        [referral] = await referrals(db, case_id)
        assert (referral.status, referral.decided_by) == ("confirmed", "legal-1")
        assert referral.decision_reason == "records complete"
        dossier = referral.dossier
        assert dossier is not None
        assert dossier == confirmed.json()["confirmed_dossier"]
        assert dossier["business_date"] == str(day(9))
        assert dossier["balance"] == {
            "currency": "CNY",
            "arrears": {
                "principal": "1200.00", "interest": "35.50", "fees": "20.00",
                "penalties": "0.00", "total": "1255.50",
            },
            "charges": {"late_fees": "25.00", "penalty_interest": "0.00", "total": "25.00"},
            "total_due": "1280.50",
            "as_of_date": "2026-11-30",
        }  # fmt: skip
        assert [(f["kind"], f["amount"]) for f in dossier["fee_history"]] == [("late_fee", "25.00")]
        assert [c["event_type"] for c in dossier["contact_history"]] == [
            "doorstep.notification.sent.v1"
        ]
        assert [v["event_type"] for v in dossier["visit_outcomes"]] == [
            "doorstep.visit.scheduled.v1",
            "doorstep.visit.outcome_recorded.v1",
        ]
        assert dossier["visit_outcomes"][1]["summary"] == "Field visit outcome: not home."
        [promise] = dossier["promises"]
        assert (promise["amount"], promise["status"], promise["paid_towards"]) == (
            "300.00", "broken", "50.00"
        )  # fmt: skip
        [arrangement] = dossier["arrangements"]
        assert arrangement["status"] == "broken"
        assert [(i["number"], i["status"]) for i in arrangement["instalments"]] == [
            (1, "missed"), (2, "due")
        ]  # fmt: skip
        assert [(s["from_stage"], s["to_stage"]) for s in dossier["stage_history"]] == [
            (None, "reminder"), ("reminder", "contact"), ("contact", "field"), ("field", "legal")
        ]  # fmt: skip
        assert dossier["holds"] == []

        decided = (await db.events(case_id))[-1]
        assert decided["type"] == "doorstep.case.legal_referral_decided.v1"
        assert (decided["decision"], decided["referral_id"]) == ("confirmed", str(referral.id))
        assert decided["stage"] == "legal"

        # Decided once: neither a second confirmation nor a return applies any more.
        for action in ("confirm", "return"):
            again = await client.post(
                f"{url}/{action}", json={"decided_by": "legal-2", "reason": "again"}
            )
            assert again.status_code == 409
            assert again.json()["type"].endswith("/no-legal-referral-in-review")


async def test_return_sends_the_case_back_to_field_and_resets_the_escalating_facts(
    database_url: str,
) -> None:
    async with api(database_url) as (client, db):
        case_id = await drive_into_legal(db)
        async with db.change(case_id, day(8)) as ctx:
            ctx.case.broken_promises = 2
            ctx.case.broken_arrangements = 1
        await pin(db, day(9))
        url = f"/v1/cases/{case_id}/legal-referral"
        etag = (await client.get(url)).headers["etag"]

        stale = await client.post(
            f"{url}/return",
            json={"decided_by": "legal-1", "reason": "x"},
            headers={"If-Match": '"stale"'},
        )
        assert stale.status_code == 412
        missing_reason = await client.post(f"{url}/return", json={"decided_by": "legal-1"})
        assert missing_reason.status_code == 422

        returned = await client.post(
            f"{url}/return",
            json={"decided_by": "legal-1", "reason": "customer reachable, try an arrangement"},
            headers={"If-Match": etag},
        )
        assert returned.status_code == 200, returned.text
        assert returned.json()["referral"]["status"] == "returned"
        assert returned.headers["etag"] != etag

        case = await db.case(case_id)
        assert case.stage == "field"
        assert case.legal_returned_on == day(9)
        assert (case.broken_promises, case.broken_arrangements) == (0, 0)
        assert case.visit_attempted_on is None
        async with db.sessionmaker() as session:
            last = (
                await session.execute(
                    select(StageTransition)
                    .where(StageTransition.case_id == case_id)
                    .order_by(StageTransition.id.desc())
                    .limit(1)
                )
            ).scalar_one()
        assert (last.from_stage, last.to_stage, last.business_date) == ("legal", "field", day(9))
        assert last.reason == (
            "returned from legal review by legal-1: customer reachable, try an arrangement"
        )

        decided, moved = (await db.events(case_id))[-2:]
        assert (decided["type"], decided["decision"]) == (
            "doorstep.case.legal_referral_decided.v1", "returned"
        )  # fmt: skip
        assert (moved["type"], moved["previous_stage"], moved["stage"]) == (
            "doorstep.case.stage_changed.v1", "legal", "field"
        )  # fmt: skip
        assert moved["treatment"] == "field_visit"

        # The facts that escalated it were judged: the next evaluation keeps it in field.
        async with db.change(case_id, day(10)) as ctx:
            assert await advance(ctx) == 0
        assert (await client.get(url)).json()["referral"]["status"] == "returned"


async def test_decisions_need_a_referral_in_review(database_url: str) -> None:
    async with api(database_url) as (client, db):
        case_id = await db.open_case("ACC-R", dpd=20)
        url = f"/v1/cases/{case_id}/legal-referral"
        never = await client.get(url)
        assert never.status_code == 404
        assert never.json()["type"].endswith("/legal-referral-not-found")
        confirm = await client.post(f"{url}/confirm", json={"decided_by": "legal-1"})
        assert confirm.status_code == 409
        assert confirm.json()["type"].endswith("/no-legal-referral-in-review")
        unknown = await client.post(
            f"/v1/cases/{uuid.uuid4()}/legal-referral/return",
            json={"decided_by": "legal-1", "reason": "x"},
        )
        assert unknown.status_code == 404
        assert (await db.case(case_id)).stage == "reminder"
