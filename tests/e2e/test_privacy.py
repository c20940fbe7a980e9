"""Personal data stays where it belongs: seed a distinct marker into every personal field,
run the flow, and find none of them on any topic, in any service's log or in error bodies."""

from __future__ import annotations

import copy
import json

import httpx
import pytest

from doorstep_local.stack import Stack
from doorstep_shared.events.topics import ALL_TOPICS
from tests.e2e.conftest import eventually, run_async, timeline_types, unique_account
from tests.e2e.snapshots import overdue, personal_markers
from tests.support.kafka import read_all

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

MARKER = 424_242


def test_no_personal_data_in_topics_logs_or_error_bodies(sqlite_stack: Stack) -> None:
    stack = sqlite_stack
    account = unique_account()
    markers = [str(v) for v in personal_markers(MARKER).values()] + [account]
    errors: list[str] = []
    with httpx.Client(
        base_url=stack.url("case-api"), timeout=10, headers=stack.operator_headers
    ) as client:
        opened = client.put(f"/v1/accounts/{account}/delinquency", json=overdue(MARKER, 35))
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case"]["id"]
        eventually(
            lambda: "doorstep.notification.sent.v1" in timeline_types(client, case_id),
            timeout=60,
            what="the overdue notice",
        )
        # An operator with pii:read reads the contact data: served, and audited.
        contact = client.get(f"/v1/cases/{case_id}/contact", headers={"X-Purpose": "check"})
        assert contact.json()["name"] == personal_markers(MARKER)["name"]

        # Bad requests carrying the markers: refused without repeating them.
        body = overdue(MARKER, 35)
        bad_email = copy.deepcopy(body)
        bad_email["customer"]["email"] = f"{personal_markers(MARKER)['name']} at nowhere"
        unknown_field = copy.deepcopy(body)
        unknown_field["customer"]["nickname"] = personal_markers(MARKER)["national_id"]
        bad_zone = copy.deepcopy(body)
        bad_zone["customer"]["timezone"] = f"Mars/{personal_markers(MARKER)['city']}"
        for bad in (bad_email, unknown_field, bad_zone):
            refused = client.put(f"/v1/accounts/{account}/delinquency", json=bad)
            assert refused.status_code == 422, refused.text
            errors.append(refused.text)
        for path in (
            f"/v1/cases/{personal_markers(MARKER)['phone']}",
            f"/v1/accounts/{account}X/payments",
        ):
            answer = client.request(
                "GET" if "cases" in path else "POST",
                path,
                json={
                    "payment_reference": "P-1",
                    "amount": "1.00",
                    "currency": "GBP",
                    "value_date": "2026-11-30",
                },
            )
            assert answer.status_code in (404, 422), answer.text
            errors.append(answer.text)

    messages = [
        m
        for topic in ALL_TOPICS
        for m in run_async(read_all(stack.broker.bootstrap_servers, topic))
    ]
    assert any(m.headers.get("ce_subject") == case_id for m in messages)
    for message in messages:
        blob = (message.value or b"").decode(errors="replace") + json.dumps(message.headers)
        blob += (message.key or b"").decode(errors="replace")
        leaked = [marker for marker in markers if marker in blob]
        assert not leaked, f"{message.topic} carries personal data {leaked}"

    logs = {path.name: path.read_text(errors="replace") for path in stack.log_dir.glob("*.log")}
    assert {"case-api.log", "notifier.log", "scheduler.log"} <= set(logs)
    assert case_id in logs["notifier.log"]  # the logs do speak of the case, by its id
    for name, text in logs.items():
        leaked = [marker for marker in markers if marker in text]
        assert not leaked, f"{name} carries personal data {leaked}"
    for text in errors:
        leaked = [marker for marker in markers if marker in text]
        assert not leaked, f"an error body repeats {leaked}: {text}"
