"""Operations reads on SQLite and PostgreSQL: case filters, sorts and pages, the case read, and
the portfolio summary on a hand-built portfolio."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_case_api.accounts.models import Account, Customer
from doorstep_case_api.cases.models import Case, StageTransition
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.holds.models import Hold
from doorstep_case_api.main import create_app
from doorstep_case_api.operations.router import router as operations_router
from doorstep_case_api.promises.models import Promise
from doorstep_case_api.settings import CaseApiSettings
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import app_client, migrate

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def with_operations_router(app: FastAPI) -> FastAPI:
    if "/v1/portfolio/summary" not in app.openapi()["paths"]:
        app.include_router(operations_router)
    return app


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    app = with_operations_router(create_app(settings))
    async with app_client(app) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


def sessions(client: httpx.AsyncClient) -> async_sessionmaker[AsyncSession]:
    return client.app.state.sessionmaker  # type: ignore[attr-defined]


@dataclass
class Seed:
    """One case as the tests need it; every other column gets a plain value."""

    dpd: int = 10
    currency: str = "CNY"
    principal: str = "100.00"
    interest: str = "0"
    late_fee: str = "0"
    opened_at: datetime = T0
    status: str = "open"
    stage: str = "reminder"
    product: str = "personal-loan"
    region: str | None = None
    country: str | None = None
    team: uuid.UUID | None = None
    vulnerability: str | None = None
    resolved_at: datetime | None = None
    resolution_reason: str | None = None
    transitions: list[tuple[str | None, str, date]] = field(default_factory=list)
    id: uuid.UUID = field(default_factory=uuid.uuid4)


async def seed(client: httpx.AsyncClient, cases: list[Seed]) -> None:
    async with sessions(client)() as session, session.begin():
        for number, spec in enumerate(cases):
            customer = Customer(
                id=uuid.uuid4(),
                external_id=f"CUST-{spec.id}",
                name=f"Customer {number}",
                region=spec.region,
                country=spec.country,
                timezone="UTC",
                preferred_language="en",
                updated_at=T0,
            )
            account = Account(
                account_id=f"ACC-{spec.id}",
                customer_id=customer.id,
                product=spec.product,
                currency=spec.currency,
                last_as_of_date=date(2026, 11, 1),
                updated_at=T0,
            )
            # No ORM relationships: flush parent rows first so foreign keys hold.
            session.add(customer)
            await session.flush()
            session.add(account)
            await session.flush()
            session.add(
                Case(
                    id=spec.id,
                    account_id=account.account_id,
                    status=spec.status,
                    stage=spec.stage,
                    product=spec.product,
                    currency=spec.currency,
                    principal=Decimal(spec.principal),
                    interest=Decimal(spec.interest),
                    fees=Decimal(0),
                    penalties=Decimal(0),
                    days_past_due=spec.dpd,
                    as_of_date=date(2026, 11, 1),
                    opened_at=spec.opened_at,
                    resolved_at=spec.resolved_at,
                    resolution_reason=spec.resolution_reason,
                    last_sequence=1,
                    updated_at=spec.opened_at,
                    broken_promises=0,
                    broken_arrangements=0,
                    late_fee_charged=Decimal(spec.late_fee),
                    penalty_interest_charged=Decimal(0),
                    assigned_team_id=spec.team,
                    vulnerability_category=spec.vulnerability,
                )
            )
            await session.flush()
            for from_stage, to_stage, on in spec.transitions:
                session.add(
                    StageTransition(
                        case_id=spec.id,
                        from_stage=from_stage,
                        to_stage=to_stage,
                        business_date=on,
                        reason="test",
                        created_at=T0,
                    )
                )


async def add_hold(
    client: httpx.AsyncClient, case_id: uuid.UUID, hold_type: str, lifted: bool = False
) -> None:
    async with sessions(client)() as session, session.begin():
        session.add(
            Hold(
                case_id=case_id,
                hold_type=hold_type,
                reason="customer's own words",
                freezes_fees=True,
                starts_on=date(2026, 11, 1),
                ends_on=None,
                placed_by="ops-1",
                placed_at=T0,
                lifted_on=date(2026, 11, 2) if lifted else None,
            )
        )


async def all_pages(
    client: httpx.AsyncClient, params: dict[str, Any], limit: int = 2
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/cases", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


TEAM_A, TEAM_B = uuid.uuid4(), uuid.uuid4()


def listing_portfolio() -> list[Seed]:
    """Ties on every sort key, several currencies, charges that change the total's order."""
    minute = timedelta(minutes=1)
    return [
        Seed(dpd=5, principal="100.00", opened_at=T0, region="Shanghai", country="CN"),
        Seed(
            dpd=20,
            principal="90.00",
            late_fee="10.00",
            opened_at=T0 + minute,
            stage="contact",
            region="Shanghai",
            country="CN",
            team=TEAM_A,
        ),
        Seed(
            dpd=20,
            currency="USD",
            principal="100.01",
            opened_at=T0 + minute,
            stage="contact",
            region="California",
            country="US",
            vulnerability="health",
        ),
        Seed(
            dpd=35,
            currency="JPY",
            principal="100",
            opened_at=T0 + 2 * minute,
            stage="field",
            country="JP",
            team=TEAM_A,
        ),
        Seed(
            dpd=35,
            currency="KWD",
            principal="99.999",
            opened_at=T0 + 3 * minute,
            stage="field",
            region="Hawalli",
            country="KW",
        ),
        Seed(
            dpd=35,
            principal="123456789.01",
            interest="0.99",
            opened_at=T0 + 3 * minute,
            stage="field",
            product="card",
            region="Beijing",
            country="CN",
            team=TEAM_B,
        ),
        Seed(
            dpd=60,
            currency="GBP",
            principal="5.50",
            opened_at=T0 + 3 * minute,
            stage="field",
            region="London",
            country="GB",
            vulnerability="bereavement",
        ),
        Seed(
            dpd=95,
            principal="100.00",
            opened_at=T0 + 4 * minute,
            stage="legal",
            product="card",
            region="Shanghai",
            country="CN",
        ),
        Seed(
            dpd=95,
            currency="USD",
            principal="0.01",
            late_fee="25.00",
            opened_at=T0 + 5 * minute,
            stage="legal",
            country="US",
        ),
        Seed(
            dpd=120,
            principal="7.00",
            opened_at=T0 + 5 * minute,
            status="resolved",
            stage="legal",
            resolved_at=T0 + 9 * minute,
            resolution_reason="cured",
            region="Shanghai",
            country="CN",
        ),
        Seed(
            dpd=5,
            currency="USD",
            principal="100.00",
            opened_at=T0 + 6 * minute,
            region="California",
            country="US",
        ),
    ]


def total_due(spec: Seed) -> Decimal:
    return Decimal(spec.principal) + Decimal(spec.interest) + Decimal(spec.late_fee)


async def test_every_filter_selects_exactly_its_cases_across_pages(
    client: httpx.AsyncClient,
) -> None:
    cases = listing_portfolio()
    await seed(client, cases)
    disputed, hardship, lifted = cases[1].id, cases[6].id, cases[3].id
    await add_hold(client, disputed, "dispute")
    await add_hold(client, hardship, "hardship")
    await add_hold(client, lifted, "hardship", lifted=True)

    def ids(keep: Any) -> set[str]:
        return {str(spec.id) for spec in cases if keep(spec)}

    expectations: list[tuple[dict[str, Any], set[str]]] = [
        ({"status": "resolved"}, ids(lambda s: s.status == "resolved")),
        ({"stage": "field"}, ids(lambda s: s.stage == "field")),
        ({"stage": ["contact", "legal"]}, ids(lambda s: s.stage in {"contact", "legal"})),
        ({"min_dpd": 35}, ids(lambda s: s.dpd >= 35)),
        ({"max_dpd": 20}, ids(lambda s: s.dpd <= 20)),
        ({"min_dpd": 20, "max_dpd": 35}, ids(lambda s: 20 <= s.dpd <= 35)),
        ({"region": "Shanghai"}, ids(lambda s: s.region == "Shanghai")),
        ({"country": "US"}, ids(lambda s: s.country == "US")),
        ({"country": "CN", "region": "Beijing"}, ids(lambda s: s.region == "Beijing")),
        ({"product": "card"}, ids(lambda s: s.product == "card")),
        ({"currency": "USD"}, ids(lambda s: s.currency == "USD")),
        ({"hold_type": "hardship"}, {str(hardship)}),
        ({"hold_type": "dispute"}, {str(disputed)}),
        ({"hold_type": "moratorium"}, set()),
        ({"assigned_team_id": str(TEAM_A)}, ids(lambda s: s.team == TEAM_A)),
        ({"vulnerable": "true"}, ids(lambda s: s.vulnerability is not None)),
        ({"vulnerable": "false"}, ids(lambda s: s.vulnerability is None)),
        (
            {"status": "open", "stage": "field", "country": "CN", "product": "card"},
            {str(cases[5].id)},
        ),
    ]
    for params, expected in expectations:
        found = [item["id"] for item in await all_pages(client, params)]
        assert len(found) == len(set(found)), params
        assert set(found) == expected, params


SORT_KEYS: dict[str, Any] = {
    "opened_at": lambda s: s.opened_at,
    "days_past_due": lambda s: s.dpd,
    "total_due": total_due,
}


async def test_every_sort_pages_in_order_without_duplicates_or_gaps(
    client: httpx.AsyncClient,
) -> None:
    cases = listing_portfolio()
    await seed(client, cases)
    for sort in (
        "opened_at",
        "-opened_at",
        "days_past_due",
        "-days_past_due",
        "total_due",
        "-total_due",
    ):
        key = SORT_KEYS[sort.lstrip("-")]
        expected = sorted(cases, key=lambda s: (key(s), s.id), reverse=sort.startswith("-"))
        for limit in (1, 2, 3, 50):
            found = await all_pages(client, {"sort": sort}, limit=limit)
            assert [item["id"] for item in found] == [str(s.id) for s in expected], (sort, limit)


async def test_pages_stay_whole_while_cases_are_added(client: httpx.AsyncClient) -> None:
    cases = listing_portfolio()
    await seed(client, cases)
    first = (await client.get("/v1/cases", params={"sort": "-total_due", "limit": 4})).json()
    # A new case ranks before the cursor and another after it; neither shifts the next pages.
    await seed(client, [Seed(principal="999999999.00"), Seed(principal="0.02")])
    rest = await all_pages(client, {"sort": "-total_due", "cursor": first["next_cursor"]}, limit=4)
    seen = [item["id"] for item in first["items"] + rest]
    assert len(seen) == len(set(seen)) == len(cases) + 1
    totals = [Decimal(item["total_due"]) for item in first["items"] + rest]
    assert totals == sorted(totals, reverse=True)


async def test_a_cursor_only_continues_its_own_sort(client: httpx.AsyncClient) -> None:
    await seed(client, listing_portfolio())
    page = (await client.get("/v1/cases", params={"sort": "total_due", "limit": 2})).json()
    other = await client.get(
        "/v1/cases", params={"sort": "days_past_due", "cursor": page["next_cursor"]}
    )
    assert other.status_code == 400
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/invalid-cursor")
    assert other.json()["cursor_sort"] == "total_due"
    same = await client.get(
        "/v1/cases", params={"sort": "total_due", "cursor": page["next_cursor"]}
    )
    assert same.status_code == 200
    for bad in ("not-a-cursor", "W10", "eyJzb3J0IjogMX0"):
        response = await client.get("/v1/cases", params={"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json()["type"].endswith("/invalid-cursor")


async def test_invalid_filters_are_422_problems(client: httpx.AsyncClient) -> None:
    for params in (
        {"min_dpd": 40, "max_dpd": 30},
        {"sort": "balance"},
        {"country": "china"},
        {"hold_type": "holiday"},
        {"vulnerable": "maybe"},
        {"stage": ""},
    ):
        response = await client.get("/v1/cases", params=params)
        assert response.status_code == 422, params
        assert response.json()["type"].endswith("/validation-error")


async def test_case_read_shows_charges_holds_ladder_and_an_etag(
    client: httpx.AsyncClient,
) -> None:
    opened = await client.put("/v1/accounts/ACC-1/delinquency", json=SNAPSHOT)
    case = opened.json()["case"]
    await add_hold(client, uuid.UUID(case["id"]), "dispute")
    await add_hold(client, uuid.UUID(case["id"]), "hardship", lifted=True)

    response = await client.get(f"/v1/cases/{case['id']}")
    assert response.status_code == 200
    body = response.json()
    async with sessions(client)() as session:
        stored = await session.get(Case, uuid.UUID(case["id"]))
        assert stored is not None
    assert response.headers["ETag"] == stored.etag
    late_fee = stored.late_fee_charged
    assert body["charges"] == {
        "late_fees": f"{late_fee:.2f}",
        "penalty_interest": "0.00",
        "total": f"{late_fee:.2f}",
    }
    assert Decimal(body["total_due"]) == Decimal("1259.75") + late_fee
    assert [hold["hold_type"] for hold in body["holds"]] == ["dispute"]
    assert "reason" not in body["holds"][0]
    assert body["collection_paused"] is True
    assert body["ladder"]["broken_promises"] == 0
    assert body["ladder"]["stage_entered_on"] == stored.stage_entered_on.isoformat()  # type: ignore[union-attr]
    assert body["vulnerable"] is False
    assert body["timeline"][0]["event_type"] == "doorstep.case.opened.v1"

    # The ETag follows the case's version.
    await client.put(
        "/v1/accounts/ACC-1/delinquency",
        json={
            **SNAPSHOT,
            "as_of_date": "2026-11-29",
            "loan": {**SNAPSHOT["loan"], "days_past_due": 36},
        },
    )
    again = await client.get(f"/v1/cases/{case['id']}")
    assert again.headers["ETag"] != response.headers["ETag"]


# --- portfolio summary -----------------------------------------------------------------------

NOV = date(2026, 11, 1)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def summary_portfolio() -> dict[str, Seed]:
    """A small book with each metric's edge cases, for November 2026 (bank time zone UTC)."""
    d = date
    return {
        # Open, in reminder all along.
        "A": Seed(
            principal="100.00",
            opened_at=at(d(2026, 10, 20)),
            transitions=[(None, "reminder", d(2026, 10, 20))],
        ),
        # In reminder at the start, rolls to contact on the first day of the range.
        "B": Seed(
            principal="200.00",
            late_fee="10.00",
            stage="contact",
            opened_at=at(d(2026, 10, 25)),
            transitions=[
                (None, "reminder", d(2026, 10, 25)),
                ("reminder", "contact", d(2026, 11, 1)),
            ],
        ),
        # Opens in the range and rolls twice, the last time on the last day.
        "C": Seed(
            currency="USD",
            principal="50.00",
            interest="0.50",
            stage="field",
            opened_at=at(d(2026, 11, 10)),
            transitions=[
                (None, "reminder", d(2026, 11, 10)),
                ("reminder", "contact", d(2026, 11, 12)),
                ("contact", "field", d(2026, 11, 30)),
            ],
        ),
        # In contact at the start; cured in the last minutes of the range.
        "D": Seed(
            status="resolved",
            stage="contact",
            opened_at=at(d(2026, 10, 1)),
            resolved_at=at(d(2026, 11, 30), 23, 59),
            resolution_reason="cured",
            transitions=[
                (None, "reminder", d(2026, 10, 1)),
                ("reminder", "contact", d(2026, 10, 20)),
            ],
        ),
        # Opens in the range, paid exactly at the end of it (so: not a cure in the range).
        "E": Seed(
            status="resolved",
            opened_at=at(d(2026, 11, 2)),
            resolved_at=at(d(2026, 12, 1), 0, 0),
            resolution_reason="paid",
            transitions=[(None, "reminder", d(2026, 11, 2))],
        ),
        # Cured before the range: in no denominator.
        "F": Seed(
            status="resolved",
            stage="contact",
            opened_at=at(d(2026, 9, 1)),
            resolved_at=at(d(2026, 10, 15)),
            resolution_reason="cured",
            transitions=[
                (None, "reminder", d(2026, 9, 1)),
                ("reminder", "contact", d(2026, 9, 20)),
            ],
        ),
        # In field at the start, rolls to legal.
        "G": Seed(
            currency="GBP",
            principal="300.00",
            stage="legal",
            opened_at=at(d(2026, 8, 1)),
            transitions=[
                (None, "reminder", d(2026, 8, 1)),
                ("reminder", "contact", d(2026, 8, 20)),
                ("contact", "field", d(2026, 9, 10)),
                ("field", "legal", d(2026, 11, 25)),
            ],
        ),
        # Opens after the range.
        "H": Seed(
            currency="USD",
            principal="10.00",
            opened_at=at(d(2026, 12, 2)),
            transitions=[(None, "reminder", d(2026, 12, 2))],
        ),
        # Resolved in the range for another reason than a cure.
        "I": Seed(
            status="resolved",
            opened_at=at(d(2026, 10, 1)),
            resolved_at=at(d(2026, 11, 20)),
            resolution_reason="returned",
            transitions=[(None, "reminder", d(2026, 10, 1))],
        ),
        # Another product.
        "J": Seed(
            product="card",
            principal="40.00",
            opened_at=at(d(2026, 11, 3)),
            transitions=[(None, "reminder", d(2026, 11, 3))],
        ),
    }


async def seed_promises(client: httpx.AsyncClient, book: dict[str, Seed]) -> None:
    rows = [
        ("A", "kept", date(2026, 11, 10)),
        ("B", "broken", date(2026, 11, 12)),
        ("C", "kept", date(2026, 11, 30)),
        ("A", "kept", date(2026, 10, 31)),  # before the range
        ("B", "pending", None),
        ("C", "broken", date(2026, 12, 1)),  # after the range
        ("J", "kept", date(2026, 11, 5)),
    ]
    async with sessions(client)() as session, session.begin():
        for name, status, settled_on in rows:
            case = book[name]
            session.add(
                Promise(
                    case_id=case.id,
                    amount=Decimal("10.00"),
                    currency=case.currency,
                    promised_date=date(2026, 11, 1),
                    channel="phone",
                    recorded_by="ops-1",
                    source="operations",
                    status=status,
                    paid_towards=Decimal(0),
                    recorded_on=date(2026, 10, 28),
                    settled_on=settled_on,
                    created_at=T0,
                )
            )


async def summary(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(
        "/v1/portfolio/summary", params={"from": "2026-11-01", "to": "2026-11-30", **params}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_portfolio_summary_on_a_hand_built_book(client: httpx.AsyncClient) -> None:
    book = summary_portfolio()
    await seed(client, list(book.values()))
    await seed_promises(client, book)

    result = await summary(client)

    assert result["open_cases_by_stage"] == [
        {"stage": "reminder", "cases": 3, "total_due": {"CNY": "140.00", "USD": "10.00"}},
        {"stage": "contact", "cases": 1, "total_due": {"CNY": "210.00"}},
        {"stage": "field", "cases": 1, "total_due": {"USD": "50.50"}},
        {"stage": "legal", "cases": 1, "total_due": {"GBP": "300.00"}},
    ]
    assert result["open_total_due"] == {"CNY": "350.00", "GBP": "300.00", "USD": "60.50"}
    assert result["cases_by_status"] == {"open": 6, "resolved": 4}
    # Cured in range: D. Open at some time in range: A B C D E G I J.
    assert result["cure_rate"] == {"numerator": 1, "denominator": 8, "rate": "0.1250"}
    assert result["promise_kept_rate"] == {"numerator": 3, "denominator": 4, "rate": "0.7500"}
    assert result["roll_rates"] == [
        # reminder: A B I at the start (F was cured before it), C E J entered; B C rolled.
        {
            "from_stage": "reminder",
            "to_stage": "contact",
            "cases": 6,
            "rolled": 2,
            "rate": "0.3333",
        },
        # contact: D at the start, B C entered; C rolled.
        {"from_stage": "contact", "to_stage": "field", "cases": 3, "rolled": 1, "rate": "0.3333"},
        # field: G at the start, C entered; G rolled.
        {"from_stage": "field", "to_stage": "legal", "cases": 2, "rolled": 1, "rate": "0.5000"},
    ]


async def test_portfolio_summary_for_one_product(client: httpx.AsyncClient) -> None:
    book = summary_portfolio()
    await seed(client, list(book.values()))
    await seed_promises(client, book)

    result = await summary(client, product="card")

    assert result["product"] == "card"
    assert result["open_cases_by_stage"][0] == {
        "stage": "reminder",
        "cases": 1,
        "total_due": {"CNY": "40.00"},
    }
    assert all(row["cases"] == 0 for row in result["open_cases_by_stage"][1:])
    assert result["cases_by_status"] == {"open": 1}
    assert result["cure_rate"] == {"numerator": 0, "denominator": 1, "rate": "0.0000"}
    assert result["promise_kept_rate"] == {"numerator": 1, "denominator": 1, "rate": "1.0000"}
    assert result["roll_rates"][0] == {
        "from_stage": "reminder",
        "to_stage": "contact",
        "cases": 1,
        "rolled": 0,
        "rate": "0.0000",
    }
    assert result["roll_rates"][1]["rate"] is None


async def test_portfolio_summary_of_an_empty_range(client: httpx.AsyncClient) -> None:
    result = await summary(client)
    assert result["open_total_due"] == {}
    assert result["cure_rate"] == {"numerator": 0, "denominator": 0, "rate": None}
    assert [row["cases"] for row in result["open_cases_by_stage"]] == [0, 0, 0, 0]


async def test_portfolio_summary_needs_a_valid_range(client: httpx.AsyncClient) -> None:
    for params in (
        {"from": "2026-11-30", "to": "2026-11-01"},
        {"from": "2026-11-01"},
        {"from": "yesterday", "to": "2026-11-01"},
    ):
        response = await client.get("/v1/portfolio/summary", params=params)
        assert response.status_code == 422, params
        assert response.json()["type"].endswith("/validation-error")
