"""The user's path: overdue account -> notice + visit -> paid -> resolved, visit cancelled."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from doorstep_local.stack import Stack
from doorstep_shared.events.topics import ALL_TOPICS
from tests.e2e.conftest import (
    add_team_near,
    eventually,
    run_async,
    timeline_types,
    unique_account,
)
from tests.e2e.snapshots import overdue, personal_markers
from tests.support.kafka import read_all

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


def test_overdue_account_gets_notices_then_a_visit_then_payment_cancels_it(stack: Stack) -> None:
    account = unique_account()
    with httpx.Client(
        base_url=stack.url("case-api"), timeout=10, headers=stack.operator_headers
    ) as client:
        # Pin the calendar, so "a week later" is a week after the first notice whatever today is.
        client.put("/v1/business-date", json={"business_date": "2026-11-30"}).raise_for_status()
        snapshot = overdue(7, 35)
        customer = snapshot["customer"]
        add_team_near(
            stack,
            customer["address"]["latitude"],
            customer["address"]["longitude"],
            customer["timezone"],
        )
        opened = client.put(f"/v1/accounts/{account}/delinquency", json=snapshot)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case"]["id"]

        # The overdue notice comes first; it lets the case move on to "contact".
        eventually(
            lambda: "doorstep.case.stage_changed.v1" in timeline_types(client, case_id),
            timeout=60,
            what="the notice and the move to contact",
        )
        assert client.get(f"/v1/cases/{case_id}").json()["stage"] == "contact"
        eventually(
            lambda: timeline_types(client, case_id).count("doorstep.notification.sent.v1") == 2,
            timeout=60,
            what="the contact stage's notice",
        )
        assert "doorstep.visit.scheduled.v1" not in timeline_types(client, case_id)

        # A week later the ladder allows the field visit.
        client.put("/v1/business-date", json={"business_date": "2026-12-07"}).raise_for_status()
        client.post("/v1/evaluations", json={}).raise_for_status()
        eventually(
            lambda: "doorstep.visit.scheduled.v1" in timeline_types(client, case_id),
            timeout=60,
            what="the field visit on the case timeline",
        )
        assert client.get(f"/v1/cases/{case_id}").json()["stage"] == "field"
        # Each stage entered brings its notice: opening, contact, field.
        eventually(
            lambda: timeline_types(client, case_id).count("doorstep.notification.sent.v1") == 3,
            timeout=60,
            what="the third notice",
        )

        # The customer pays everything due: the payment cures the case.
        due = client.get(f"/v1/cases/{case_id}").json()["total_due"]
        paid = client.post(
            f"/v1/accounts/{account}/payments",
            json={
                "payment_reference": "PAY-1",
                "amount": due,
                "currency": "GBP",
                "value_date": "2026-12-07",
            },
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["outcome"] == "cured"
        eventually(
            lambda: "doorstep.visit.cancelled.v1" in timeline_types(client, case_id),
            timeout=60,
            what="visit cancelled on the timeline",
        )
        case = client.get(f"/v1/cases/{case_id}").json()
    assert case["status"] == "resolved"
    types = [entry["event_type"] for entry in case["timeline"]]
    assert types.count("doorstep.notification.sent.v1") == 3
    assert types.count("doorstep.visit.scheduled.v1") == 1
    assert types.count("doorstep.visit.cancelled.v1") == 1
    assert types.index("doorstep.case.opened.v1") < types.index("doorstep.case.resolved.v1")

    with httpx.Client(
        base_url=stack.url("notifier"), timeout=10, headers=stack.operator_headers
    ) as notifier:
        notices = notifier.get("/v1/notifications", params={"case_id": case_id}).json()
    items = notices["items"] if isinstance(notices, dict) else notices
    overdue_notices = [n["status"] for n in items if n["kind"] == "overdue"]
    assert overdue_notices == ["sent"] * 3
    # The planned visit was announced to the customer too (its cancellation may still be going).
    assert "visit_appointment" in {n["kind"] for n in items}

    # No message on any topic carries the customer's personal data.
    messages = [
        m
        for topic in ALL_TOPICS
        for m in run_async(read_all(stack.broker.bootstrap_servers, topic))
    ]
    assert any(m.headers.get("ce_subject") == case_id for m in messages)
    markers = [str(v) for v in personal_markers(7).values()] + [account]
    for message in messages:
        blob = (message.value or b"").decode(errors="replace") + json.dumps(message.headers)
        blob += (message.key or b"").decode(errors="replace")
        leaked = [marker for marker in markers if marker in blob]
        assert not leaked, f"{message.topic} carries personal data {leaked}"


def test_a_planned_visit_is_announced_checked_in_and_its_promise_reaches_the_case(
    stack: Stack,
) -> None:
    account = unique_account()
    snapshot = overdue(8, 35)
    customer = snapshot["customer"]
    home = customer["address"]
    team_id = add_team_near(stack, home["latitude"], home["longitude"], customer["timezone"])
    with (
        httpx.Client(
            base_url=stack.url("case-api"), timeout=10, headers=stack.operator_headers
        ) as client,
        httpx.Client(
            base_url=stack.url("scheduler"), timeout=30, headers=stack.operator_headers
        ) as scheduler,
    ):
        client.put("/v1/business-date", json={"business_date": "2026-11-30"}).raise_for_status()
        opened = client.put(f"/v1/accounts/{account}/delinquency", json=snapshot)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case"]["id"]
        eventually(
            lambda: timeline_types(client, case_id).count("doorstep.notification.sent.v1") == 2,
            timeout=60,
            what="the reminder and contact notices",
        )
        client.put("/v1/business-date", json={"business_date": "2026-12-07"}).raise_for_status()
        client.post("/v1/evaluations", json={}).raise_for_status()

        # The field stage requests a visit; the planner gives it a team, day and window and
        # the notifier tells the customer.
        eventually(
            lambda: "doorstep.visit.notice_sent.v1" in timeline_types(client, case_id),
            timeout=90,
            what="the appointment notice on the case timeline",
        )

        def visit() -> dict[str, Any]:
            found = scheduler.get("/v1/visits", params={"case_id": case_id}).json()["items"]
            assert len(found) == 1, found
            return dict(found[0])

        eventually(
            lambda: visit()["notice_status"] == "sent",
            timeout=30,
            what="the notice recorded by the scheduler",
        )
        planned = visit()
        assert planned["status"] == "scheduled"
        assert planned["team_id"] in {team_id, *demo_team_ids(scheduler)}
        agenda = scheduler.get(
            "/v1/visits/agenda",
            params={"team_id": planned["team_id"], "day": planned["plan_day"]},
        )
        assert agenda.status_code == 200, agenda.text
        assert planned["id"] in json.dumps(agenda.json())

        checked_in = scheduler.post(
            f"/v1/visits/{planned['id']}/check-in",
            json={"latitude": home["latitude"], "longitude": home["longitude"]},
        )
        assert checked_in.status_code == 200, checked_in.text
        assert checked_in.json()["check_in_far"] is False
        promised_on = (datetime.now(ZoneInfo(customer["timezone"])) + timedelta(days=7)).date()
        outcome = scheduler.post(
            f"/v1/visits/{planned['id']}/outcome",
            json={
                "outcome": "promise_to_pay",
                "notes": "Customer will pay from next salary.",
                "promise": {"amount": "300.00", "currency": "GBP", "date": str(promised_on)},
            },
        )
        assert outcome.status_code == 200, outcome.text

        eventually(
            lambda: "doorstep.case.promise_recorded.v1" in timeline_types(client, case_id),
            timeout=60,
            what="the promise on the case timeline",
        )
        case = client.get(f"/v1/cases/{case_id}").json()
    types = [entry["event_type"] for entry in case["timeline"]]
    order = [
        "doorstep.visit.scheduled.v1",
        "doorstep.visit.notice_sent.v1",
        "doorstep.visit.outcome_recorded.v1",
        "doorstep.case.promise_recorded.v1",
    ]
    assert [types.index(t) for t in order] == sorted(types.index(t) for t in order)
    promise = next(e for e in case["timeline"] if e["event_type"] == order[-1])
    assert promise["details"]["promised_amount"] == "300.00"
    assert promise["details"]["source"] == "visit"
    # The collector's notes stay in the scheduler.
    assert "salary" not in json.dumps(case)


def demo_team_ids(scheduler: httpx.Client) -> set[str]:
    return {team["id"] for team in scheduler.get("/v1/teams").json()["items"]}
