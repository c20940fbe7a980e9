"""Real cases walked through the ladder on PostgreSQL by moving the business date."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import VisitNoticeFailed, VisitNoticeSent
from tests.case_api.scenario_support import Operations
from tests.support.apps import app_client, migrate

pytestmark = pytest.mark.postgres

DAY0 = date(2026, 11, 2)  # a Monday


@pytest.fixture
async def ops(postgres_url: str) -> AsyncIterator[Operations]:
    await migrate(MIGRATIONS, postgres_url)
    settings = CaseApiSettings(database_url=postgres_url, background_workers_enabled=False)
    app = create_app(settings)
    async with app_client(app) as client:
        client.app = app  # type: ignore[attr-defined]
        operations = Operations(client)
        await operations.on(DAY0)
        yield operations


async def into_field(ops: Operations, account: str, dpd: int = 45) -> str:
    """Open a case at `dpd`, send its notice, let the notice period pass: it is in field."""
    await ops.on(DAY0)
    case_id = str((await ops.report(account, dpd, DAY0))["case"]["id"])
    await ops.notice_sent(case_id)
    await ops.on(DAY0 + timedelta(days=7))
    await ops.evaluate()
    assert await ops.stage(case_id) == "field"
    return case_id


async def test_a_jump_from_0_to_45_dpd_never_skips_the_notice(ops: Operations) -> None:
    case_id = str((await ops.report("JUMP", 45, DAY0))["case"]["id"])
    assert await ops.stage(case_id) == "reminder"
    await ops.evaluate()  # nothing sent yet: nothing moves, however late the account is
    assert await ops.stage(case_id) == "reminder"

    await ops.notice_sent(case_id)
    assert await ops.stage(case_id) == "contact"
    await ops.on(DAY0 + timedelta(days=6))
    await ops.evaluate()
    assert await ops.stage(case_id) == "contact"  # the notice period is not over
    await ops.on(DAY0 + timedelta(days=7))
    await ops.evaluate()
    assert await ops.stage(case_id) == "field"

    case = await ops.case(case_id)
    reasons = [
        e["details"]["reason"]
        for e in case["timeline"]
        if e["event_type"] == "doorstep.case.stage_changed.v1"
    ]
    assert len(reasons) == 2
    assert "overdue notice sent on 2026-11-02" in reasons[0]
    assert "7+ days since it" in reasons[1]
    assert "points to field" in case["timeline"][0]["summary"]


async def test_the_daily_evaluation_is_safe_to_run_twice(ops: Operations) -> None:
    case_id = await into_field(ops, "TWICE")
    await ops.on(DAY0 + timedelta(days=9))
    first = await ops.evaluate()
    before = await ops.timeline(case_id)
    second = await ops.evaluate()
    assert first["events_recorded"] >= 1  # two days of penalty interest
    assert second["events_recorded"] == 0
    assert await ops.timeline(case_id) == before


async def test_a_kept_promise(ops: Operations) -> None:
    case_id = await into_field(ops, "KEPT")
    promised = await ops.client.post(
        f"/v1/cases/{case_id}/promises",
        json={
            "amount": "300.00",
            "currency": "CNY",
            "promised_date": str(DAY0 + timedelta(10)),
            "channel": "phone",
            "recorded_by": "agent-1",
        },
    )
    assert promised.status_code == 201, promised.text
    await ops.pay("KEPT", "300.00", "PAY-1", DAY0 + timedelta(days=9))
    types = await ops.timeline(case_id)
    assert "doorstep.case.promise_kept.v1" in types
    await ops.on(DAY0 + timedelta(days=20))
    await ops.evaluate()
    assert "doorstep.case.promise_broken.v1" not in await ops.timeline(case_id)


async def test_a_promise_broken_twice_leads_to_legal_review(ops: Operations) -> None:
    case_id = await into_field(ops, "BROKEN")
    for attempt, day in enumerate((10, 20), start=1):
        # The second promise comes from a field visit, through the scheduler's status update.
        if attempt == 1:
            response = await ops.client.post(
                f"/v1/cases/{case_id}/promises",
                json={
                    "amount": "200.00",
                    "currency": "CNY",
                    "promised_date": str(DAY0 + timedelta(day)),
                    "channel": "phone",
                    "recorded_by": "agent-1",
                },
            )
            assert response.status_code == 201, response.text
        else:
            await ops.visit_outcome(
                case_id,
                "promise_to_pay",
                promise_amount="200.00",
                promise_currency="CNY",
                promise_date=DAY0 + timedelta(day),
            )
        await ops.on(DAY0 + timedelta(days=day + 2))
        await ops.evaluate()
    case = await ops.case(case_id)
    types = [e["event_type"] for e in case["timeline"]]
    assert types.count("doorstep.case.promise_broken.v1") == 2
    assert case["stage"] == "legal"
    referral = await ops.client.get(f"/v1/cases/{case_id}/legal-referral")
    assert referral.status_code == 200, referral.text
    body = referral.json()
    assert body["referral"]["status"] == "in_review"
    dossier = body["dossier"]
    assert len(dossier["promises"]) == 2
    assert dossier["balance"]["currency"] == "CNY"
    confirmed = await ops.client.post(
        f"/v1/cases/{case_id}/legal-referral/confirm", json={"decided_by": "legal-ops-1"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert "doorstep.case.legal_referral_decided.v1" in await ops.timeline(case_id)


async def _arrangement(ops: Operations, case_id: str, amount: str, count: int) -> str:
    proposed = await ops.client.post(
        f"/v1/cases/{case_id}/arrangements",
        json={
            "kind": "instalment_plan",
            "amount": amount,
            "currency": "CNY",
            "instalment_count": count,
            "frequency": "weekly",
            "first_due_date": str(DAY0 + timedelta(days=14)),
            "proposed_by": "agent-1",
        },
    )
    assert proposed.status_code == 201, proposed.text
    arrangement_id = str(proposed.json()["id"])
    approved = await ops.client.post(
        f"/v1/arrangements/{arrangement_id}/approve",
        json={"approver": "sup-1", "approver_role": "supervisor"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active"
    return arrangement_id


async def test_an_arrangement_completed(ops: Operations) -> None:
    case_id = await into_field(ops, "PLAN")
    await _arrangement(ops, case_id, "600.00", 3)
    assert (await ops.case(case_id))["collection_paused"] is True
    for week in range(3):
        day = DAY0 + timedelta(days=14 + 7 * week)
        await ops.on(day)
        await ops.pay("PLAN", "200.00", f"PLAN-{week}", day)
        await ops.evaluate()
    arrangements = (await ops.client.get(f"/v1/cases/{case_id}/arrangements")).json()["items"]
    assert arrangements[0]["status"] == "completed"
    assert (await ops.case(case_id))["collection_paused"] is False


async def test_an_arrangement_broken_resumes_the_ladder(ops: Operations) -> None:
    case_id = await into_field(ops, "MISSED", dpd=120)
    assert await ops.stage(case_id) == "field"  # legal's prerequisites do not hold yet
    await _arrangement(ops, case_id, "600.00", 3)
    await ops.on(DAY0 + timedelta(days=14 + 6))  # first instalment + grace (5) passed unpaid
    await ops.evaluate()
    arrangements = (await ops.client.get(f"/v1/cases/{case_id}/arrangements")).json()["items"]
    assert arrangements[0]["status"] == "broken"
    case = await ops.case(case_id)
    assert case["collection_paused"] is False
    # The ladder resumes, and the broken arrangement meets legal's prerequisite at 120 DPD.
    assert case["stage"] == "legal"


async def test_a_dispute_hold_freezes_everything_until_lifted(ops: Operations) -> None:
    case_id = str((await ops.report("DISPUTE", 45, DAY0))["case"]["id"])
    placed = await ops.client.post(
        f"/v1/cases/{case_id}/holds",
        json={
            "hold_type": "dispute",
            "reason": "customer says the debt is not theirs",
            "placed_by": "agent-2",
        },
    )
    assert placed.status_code == 201, placed.text
    case = await ops.case(case_id)
    assert case["collection_paused"] is True
    hold_event = case["timeline"][-1]
    assert hold_event["event_type"] == "doorstep.case.hold_placed.v1"
    assert hold_event["details"]["holds"] == ["dispute"]
    await ops.notice_sent(case_id)  # a notice already in flight
    await ops.on(DAY0 + timedelta(days=10))
    await ops.evaluate()
    assert await ops.stage(case_id) == "reminder"  # frozen: no stage moves while held
    lifted = await ops.client.post(
        f"/v1/cases/{case_id}/holds/{placed.json()['id']}/lift",
        json={"reason": "debt verified", "lifted_by": "agent-2"},
    )
    assert lifted.status_code == 200, lifted.text
    case = await ops.case(case_id)
    assert case["collection_paused"] is False
    assert case["stage"] == "field"  # resumes: notice sent, 10 days since


async def test_a_payment_cure_resolves_the_case_and_tells_the_visit_to_go(ops: Operations) -> None:
    case_id = await into_field(ops, "CURE")
    await ops.visit_scheduled(case_id)
    due = (await ops.case(case_id))["total_due"]
    paid = await ops.pay("CURE", due, "CURE-1", DAY0 + timedelta(days=8))
    assert paid["outcome"] == "cured"
    case = await ops.case(case_id)
    assert case["status"] == "resolved"
    assert case["resolution_reason"] == "paid"
    resolved = case["timeline"][-1]
    assert resolved["event_type"] == "doorstep.case.resolved.v1"
    # The resolution is the one event the scheduler obeys to cancel the planned visit
    # (tests/scheduler covers its side; tests/e2e the whole path).
    assert resolved["details"]["status"] == "resolved"


async def test_a_moratorium_ends_by_itself(ops: Operations) -> None:
    case_id = str((await ops.report("BREATHE", 20, DAY0))["case"]["id"])
    placed = await ops.client.post(
        f"/v1/cases/{case_id}/holds",
        json={
            "hold_type": "moratorium",
            "reason": "breathing space",
            "ends_on": str(DAY0 + timedelta(days=10)),
            "placed_by": "agent-3",
        },
    )
    assert placed.status_code == 201, placed.text
    charged_before = (await ops.case(case_id))["charges"]["penalty_interest"]
    await ops.on(DAY0 + timedelta(days=10))
    await ops.evaluate()
    case = await ops.case(case_id)
    assert case["collection_paused"] is True
    assert case["charges"]["penalty_interest"] == charged_before  # fees frozen
    await ops.on(DAY0 + timedelta(days=11))
    await ops.evaluate()
    case = await ops.case(case_id)
    assert case["collection_paused"] is False
    lifted = [e for e in case["timeline"] if e["event_type"] == "doorstep.case.hold_lifted.v1"]
    assert lifted[0]["details"]["lifted_because"] == "expired"
    await ops.on(DAY0 + timedelta(days=13))
    await ops.evaluate()
    # Interest resumes for the days after the lift, never for the frozen ones.
    charged = (await ops.case(case_id))["charges"]["penalty_interest"]
    assert charged != charged_before


async def test_appointment_notices_are_on_the_timeline_and_do_not_move_the_case(
    ops: Operations,
) -> None:
    case_id = await into_field(ops, "APPOINTED")
    await ops.visit_scheduled(case_id)
    before = await ops.case(case_id)
    visit_id = uuid.uuid4()
    await ops.status(
        VisitNoticeSent(
            case_id=uuid.UUID(case_id),
            visit_id=visit_id,
            notification_id=uuid.uuid4(),
            channel="sms",
            trigger_event_id=str(uuid.uuid4()),
            sent_at=utc_now(),
        )
    )
    await ops.status(
        VisitNoticeFailed(
            case_id=uuid.UUID(case_id),
            visit_id=visit_id,
            notification_id=uuid.uuid4(),
            channel="letter",
            trigger_event_id=str(uuid.uuid4()),
            reason="no postal address",
            failed_at=utc_now(),
        )
    )
    after = await ops.case(case_id)
    summaries = [entry["summary"] for entry in after["timeline"][-2:]]
    assert summaries == [
        "Appointment notice for the field visit sent (sms).",
        "Appointment notice for the field visit failed (letter): no postal address",
    ]
    assert after["stage"] == before["stage"] == "field"
    assert after["assigned_team_id"] == before["assigned_team_id"]
