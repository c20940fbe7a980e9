"""Driving real cases through case-api's HTTP API, moving the business date like operations."""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any

import httpx

from doorstep_case_api.cases.handlers import status_writeback
from doorstep_case_api.db import inbox_table
from doorstep_shared.clock import utc_now
from doorstep_shared.events.contracts import (
    EventData,
    NotificationSent,
    VisitOutcomeRecorded,
    VisitScheduled,
    to_envelope,
)
from doorstep_shared.messaging.consumer import transactional_handler
from tests.case_api.test_intake_api import SNAPSHOT


class Operations:
    """What core banking, operations staff and the other services do to a case."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        app = client.app  # type: ignore[attr-defined]
        settings = app.state.settings
        self._writeback = transactional_handler(
            app.state.sessionmaker,
            inbox_table,
            "case-status-writeback",
            status_writeback(app.state.policy, settings.bank_timezone, settings.event_source),
        )

    async def on(self, day: date) -> None:
        response = await self.client.put("/v1/business-date", json={"business_date": str(day)})
        assert response.status_code == 200, response.text

    async def evaluate(self) -> dict[str, Any]:
        response = await self.client.post("/v1/evaluations", json={})
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def report(
        self, account: str, dpd: int, as_of: date, principal: str = "1200.00", cured: bool = False
    ) -> dict[str, Any]:
        body = copy.deepcopy(SNAPSHOT)
        body["as_of_date"] = str(as_of)
        body["loan"]["days_past_due"] = 0 if cured else dpd
        body["loan"]["arrears"] = (
            {"principal": "0", "interest": "0", "fees": "0", "penalties": "0"}
            if cured
            else {"principal": principal, "interest": "0.00", "fees": "0.00", "penalties": "0.00"}
        )
        response = await self.client.put(f"/v1/accounts/{account}/delinquency", json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def status(self, data: EventData) -> None:
        await self._writeback(to_envelope(data, "urn:test:other-service"), data)

    async def notice_sent(self, case_id: str) -> None:
        await self.status(
            NotificationSent(
                case_id=uuid.UUID(case_id),
                notification_id=uuid.uuid4(),
                channel="sms",
                trigger_event_id=str(uuid.uuid4()),
                sent_at=utc_now(),
            )
        )

    async def visit_scheduled(self, case_id: str) -> uuid.UUID:
        team = uuid.uuid4()
        now = utc_now()
        await self.status(
            VisitScheduled(
                case_id=uuid.UUID(case_id),
                visit_id=uuid.uuid4(),
                collector_id=team,
                window_start=now,
                window_end=now,
            )
        )
        return team

    async def visit_outcome(self, case_id: str, outcome: str, **promise: Any) -> None:
        await self.status(
            VisitOutcomeRecorded(
                case_id=uuid.UUID(case_id),
                visit_id=uuid.uuid4(),
                collector_id=uuid.uuid4(),
                outcome=outcome,
                visited_at=utc_now(),
                **promise,
            )
        )

    async def case(self, case_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/cases/{case_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def timeline(self, case_id: str) -> list[str]:
        return [entry["event_type"] for entry in (await self.case(case_id))["timeline"]]

    async def stage(self, case_id: str) -> str:
        return str((await self.case(case_id))["stage"])

    async def pay(
        self, account: str, amount: str, reference: str, value_date: date
    ) -> dict[str, Any]:
        response = await self.client.post(
            f"/v1/accounts/{account}/payments",
            json={
                "payment_reference": reference,
                "amount": amount,
                "currency": "CNY",
                "value_date": str(value_date),
            },
        )
        assert response.status_code in (200, 201), response.text
        return dict(response.json())
