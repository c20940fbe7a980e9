"""Inputs at the edges that once answered 500 (found by the Schemathesis run, or while fixing
what it found): each is now refused with 422 or answered correctly."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

import httpx
import pytest

from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, migrate


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    async with app_client(create_app(settings)) as http:
        yield http


def error_locations(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 422, response.text
    return [error["location"] for error in response.json()["errors"]]


@pytest.mark.parametrize("principal", ["1e999999", "1000000000000000", "1E3", "-5"])
async def test_arrears_beyond_the_amount_columns_or_not_plain_digits_are_refused(
    client: httpx.AsyncClient, principal: str
) -> None:
    body = copy.deepcopy(SNAPSHOT)
    body["loan"]["arrears"]["principal"] = principal
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=body)
    assert error_locations(response) == [["body", "loan", "arrears", "principal"]]
    assert principal not in str(response.json()["errors"])  # never echoed


async def test_the_largest_arrears_accepted_open_a_case(client: httpx.AsyncClient) -> None:
    body = copy.deepcopy(SNAPSHOT)
    body["loan"]["arrears"]["principal"] = "999999999999999.99"
    response = await client.put("/v1/accounts/ACC-1/delinquency", json=body)
    assert response.status_code == 201
    assert response.json()["case"]["arrears"]["principal"] == "999999999999999.99"


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
async def test_a_business_date_outside_1900_to_2999_is_refused(
    client: httpx.AsyncClient, day: str
) -> None:
    pinned = await client.put("/v1/business-date", json={"business_date": day})
    assert error_locations(pinned) == [["body", "business_date"]]
    evaluated = await client.post("/v1/evaluations", json={"business_date": day})
    assert error_locations(evaluated) == [["body", "business_date"]]


async def test_the_evaluation_runs_on_the_first_and_last_business_dates(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    for day in ("1900-01-01", "2999-12-31"):
        response = await client.post("/v1/evaluations", json={"business_date": day})
        assert response.status_code == 200, response.text
        assert response.json()["cases_evaluated"] == 1


@pytest.mark.parametrize(
    ("first", "last", "refused"),
    [("0001-01-01", "2026-12-01", "from"), ("2026-12-01", "9999-12-31", "to")],
)
async def test_a_summary_range_reaching_an_end_of_the_calendar_is_refused(
    client: httpx.AsyncClient, first: str, last: str, refused: str
) -> None:
    response = await client.get("/v1/portfolio/summary", params={"from": first, "to": last})
    assert error_locations(response) == [["query", refused]]


async def test_unpinning_answers_the_calendar_day_not_the_pinned_one(
    client: httpx.AsyncClient,
) -> None:
    calendar_day = (await client.get("/v1/business-date")).json()["business_date"]
    await client.put("/v1/business-date", json={"business_date": "2001-02-03"})
    response = await client.delete("/v1/business-date")
    assert response.json() == {"business_date": calendar_day, "pinned": False}


@pytest.mark.parametrize("query", [{"phone": ":::"}, {"phone": "+ -()"}, {"national_id": " - "}])
async def test_a_lookup_with_nothing_to_index_is_refused(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await client.post("/v1/cases/lookup", json=query)
    assert error_locations(response) == [["body", next(iter(query))]]
