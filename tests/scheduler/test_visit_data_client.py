"""The scheduler's case-api client against a real HTTP server answering as case-api does.

The answers are validated against case-api's own response model, so the stand-in cannot drift
from the contract; tests/e2e runs the client against the real case-api.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from doorstep_case_api.cases.schemas import CaseContact
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visit_terms.client import PLANNING_PURPOSE, CaseApiVisitData
from doorstep_scheduler.visit_terms.terms import read_terms, terms_from_contact
from doorstep_shared.case_api_contact import ContactNotFoundError, ContactUnavailableError
from tests.notifier.servers import serving

KNOWN, MISSING, BROKEN, OTHER, GARBLED = (uuid.uuid4() for _ in range(5))
TOKEN = "scheduler-visit-token"


def contact_of(case_id: uuid.UUID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_id": str(case_id),
        "name": "Li Wei",
        "phone": None,
        "email": None,
        "address": {
            "line1": "88 Century Avenue",
            "line2": None,
            "city": "Shanghai",
            "region": None,
            "postal_code": "200120",
            "country": "CN",
            "latitude": 31.2304,
            "longitude": 121.4737,
        },
        "timezone": None,  # not reported: the zone comes from the coordinates
        "preferred_language": "zh-CN",
        "contact_preferences": {"preferred_hours": [{"start": "09:00:00", "end": "18:00:00"}]},
        "visit_terms": {
            "address_kind": "workplace",
            "visit_consent_recorded": True,
            "visit_consent_recorded_at": "2026-11-30T02:15:00Z",
            "visit_consent_recorded_by": "key:ab12cd34",
            "visit_windows": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
            "repayment_capacity": {
                "monthly_income": "8500.00",
                "monthly_obligations": "3200.00",
                "currency": "CNY",
                "assessed_on": "2026-11-20",
            },
            "updated_at": "2026-11-30T02:15:00Z",
        },
    }
    CaseContact.model_validate(body)  # exactly what case-api may answer
    return body


def stand_in() -> tuple[FastAPI, list[dict[str, str]]]:
    app = FastAPI()
    seen: list[dict[str, str]] = []

    @app.get("/v1/cases/{case_id}/contact")
    async def contact(case_id: uuid.UUID, request: Request) -> Response:
        seen.append(dict(request.headers))
        if case_id == MISSING:
            return JSONResponse({"type": "about:blank", "status": 404}, status_code=404)
        if case_id == BROKEN:
            return JSONResponse({"status": 503}, status_code=503)
        if case_id == OTHER:
            return JSONResponse(contact_of(uuid.uuid4()))
        if case_id == GARBLED:
            return JSONResponse({"case_id": str(case_id), "name": 7})
        return JSONResponse(contact_of(case_id))

    return app, seen


@pytest.fixture
async def client() -> Any:
    app, seen = stand_in()
    async with serving(app) as url:
        settings = SchedulerSettings(case_api_url=url, case_api_token=TOKEN)
        source = CaseApiVisitData(settings)
        try:
            yield source, seen
        finally:
            await source.aclose()


async def test_the_answer_becomes_the_visit_terms_planning_reads(client: Any) -> None:
    source, seen = client
    contact = await source.fetch(KNOWN)
    assert seen[0]["authorization"] == f"Bearer {TOKEN}"
    assert seen[0]["x-purpose"] == PLANNING_PURPOSE
    stored = terms_from_contact(contact)
    assert stored["timezone"] == "Asia/Shanghai"  # from the coordinates
    assert stored["capacity"] == "some"  # 8500 - 3200 > 0; the amounts are not kept
    assert "8500" not in str(stored)
    assert Decimal("8500.00") == contact.visit_terms.repayment_capacity.monthly_income
    terms = read_terms(stored)
    assert (terms.language, terms.address_kind, terms.consent_recorded) == (
        "zh-CN",
        "workplace",
        True,
    )
    assert [(w.weekday, w.start.hour, w.end.hour) for w in terms.windows] == [(1, 9, 12)]


async def test_without_visit_windows_the_preferred_hours_hold_every_day(client: Any) -> None:
    source, _ = client
    contact = await source.fetch(KNOWN)
    plain = contact.model_copy(update={"visit_terms": None})
    terms = read_terms(terms_from_contact(plain))
    assert sorted(w.weekday for w in terms.windows) == list(range(7))
    assert (terms.address_kind, terms.consent_recorded, terms.capacity) == (
        "home",
        False,
        "unknown",
    )


@pytest.mark.parametrize(
    ("case_id", "error", "says"),
    [
        (MISSING, ContactNotFoundError, "no contact data"),
        (BROKEN, ContactUnavailableError, "HTTP 503"),
        (OTHER, ContactUnavailableError, "another case"),
        (GARBLED, ContactUnavailableError, "unknown shape"),
    ],
)
async def test_what_case_api_could_not_give_says_why_without_personal_data(
    client: Any, case_id: uuid.UUID, error: type[Exception], says: str
) -> None:
    source, _ = client
    with pytest.raises(error, match=says) as raised:
        await source.fetch(case_id)
    assert "Li Wei" not in str(raised.value)


async def test_an_unreachable_case_api_is_unavailable_not_a_crash() -> None:
    settings = SchedulerSettings(case_api_url="http://127.0.0.1:9", contact_timeout_seconds=1)
    source = CaseApiVisitData(settings)
    try:
        with pytest.raises(ContactUnavailableError, match="unreachable"):
            await source.fetch(KNOWN)
    finally:
        await source.aclose()
