"""Holds and the vulnerability flag, through the real services and API, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from doorstep_case_api.accounts.schemas import DelinquencySnapshot
from doorstep_case_api.accounts.service import IntakeService
from doorstep_case_api.business_date.service import BusinessDateService
from doorstep_case_api.cases.context import CaseContext, CaseRules
from doorstep_case_api.cases.handlers import status_writeback
from doorstep_case_api.cases.models import Case
from doorstep_case_api.cases.progression import advance
from doorstep_case_api.charges.service import accrue_penalty_interest
from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.db import inbox_table, outbox_table
from doorstep_case_api.holds.exceptions import (
    HoldAlreadyActiveError,
    InvalidHoldPeriodError,
)
from doorstep_case_api.holds.models import Hold
from doorstep_case_api.holds.router import router as holds_router
from doorstep_case_api.holds.service import (
    expire_holds,
    find_hold,
    lift_hold,
    place_hold,
)
from doorstep_case_api.legal.router import router as legal_router
from doorstep_case_api.main import create_app
from doorstep_case_api.policy.model import load_policy
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.db.engine import create_engine, create_sessionmaker
from doorstep_shared.events.contracts import EventData, to_envelope
from doorstep_shared.messaging.consumer import transactional_handler
from tests.support.apps import app_client, migrate

POLICY = load_policy()
DAY_0 = date(2026, 12, 1)

BODY: dict[str, Any] = {
    "as_of_date": "2026-11-30",
    "customer": {
        "customer_id": "CUST-H",
        "name": "Li Wei",
        "phone": "+8613800138000",
        "address": {"line1": "88 Century Avenue", "city": "Shanghai", "country": "CN"},
        "timezone": "Asia/Shanghai",
        "preferred_language": "zh-CN",
    },
    "loan": {
        "product": "personal-loan",
        "currency": "CNY",
        "arrears": {"principal": "1200.00", "interest": "35.50", "fees": "20.00", "penalties": "0"},
        "days_past_due": 35,
    },
}


def day(offset: int) -> date:
    return DAY_0 + timedelta(days=offset)


@dataclass
class CaseDb:
    """case-api's migrated database, driven the way its services and consumers drive it."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def open_case(self, account: str = "ACC-H", dpd: int = 35, on: date = DAY_0) -> uuid.UUID:
        body = copy.deepcopy(BODY)
        body["loan"]["days_past_due"] = dpd
        body["customer"]["customer_id"] = f"CUST-{account}"
        async with self.sessionmaker() as session, session.begin():
            rules = CaseRules(session, POLICY, on, "urn:test")
            output = await IntakeService(rules).apply_snapshot(
                account, DelinquencySnapshot.model_validate(body)
            )
        assert output.case is not None
        return output.case.id

    @asynccontextmanager
    async def change(self, case_id: uuid.UUID, on: date) -> AsyncIterator[CaseContext]:
        """One transaction on the locked case, on business date ``on``."""
        async with self.sessionmaker() as session, session.begin():
            yield await CaseRules(session, POLICY, on, "urn:test").locked(case_id)

    async def case(self, case_id: uuid.UUID) -> Case:
        async with self.sessionmaker() as session:
            case = await session.get(Case, case_id)
        assert case is not None
        return case

    async def holds(self, case_id: uuid.UUID) -> list[Hold]:
        async with self.sessionmaker() as session:
            result = await session.execute(
                select(Hold).where(Hold.case_id == case_id).order_by(Hold.placed_at)
            )
            return list(result.scalars())

    async def events(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        """The case's outbox events in order: ``type`` plus the published data."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox_table.c.event_type, outbox_table.c.payload)
                    .where(outbox_table.c.message_key == str(case_id))
                    .order_by(outbox_table.c.id)
                )
            ).all()
        return [{"type": row.event_type, **json.loads(row.payload)} for row in rows]

    async def status_update(self, data: EventData, on: date) -> None:
        """A status event from the notifier or scheduler, through case-api's write-back."""
        async with self.sessionmaker() as session, session.begin():
            await BusinessDateService(session, "UTC").pin(on)
        writeback = transactional_handler(
            self.sessionmaker,
            inbox_table,
            "case-status-writeback",
            status_writeback(POLICY, "UTC", "urn:test"),
        )
        assert await writeback(to_envelope(data, "urn:test:other-service"), data)


@asynccontextmanager
async def case_db(database_url: str) -> AsyncIterator[CaseDb]:
    await migrate(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    try:
        yield CaseDb(engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[CaseDb]:
    async with case_db(database_url) as found:
        yield found


def with_lifecycle_routers(app: FastAPI) -> FastAPI:
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/v1/cases/{case_id}/holds" not in paths:
        app.include_router(holds_router)
    if "/v1/cases/{case_id}/legal-referral" not in paths:
        app.include_router(legal_router)
    return app


@asynccontextmanager
async def api(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, CaseDb]]:
    """case-api over HTTP, and its database for setting cases up."""
    await migrate(MIGRATIONS, database_url)
    settings = CaseApiSettings(database_url=database_url, background_workers_enabled=False)
    app = with_lifecycle_routers(create_app(settings))
    async with app_client(app) as client:
        yield client, CaseDb(app.state.engine, app.state.sessionmaker)


async def pin(db: CaseDb, on: date) -> None:
    async with db.sessionmaker() as session, session.begin():
        await BusinessDateService(session, "UTC").pin(on)


# --- the services -------------------------------------------------------------------------


async def test_a_hold_pauses_collection_in_its_event_and_the_ladder_waits(db: CaseDb) -> None:
    case_id = await db.open_case(dpd=35)
    async with db.change(case_id, DAY_0) as ctx:
        hold = await place_hold(
            ctx, hold_type="dispute", reason="not my loan", ends_on=None, placed_by="ops-anna"
        )
    placed = (await db.events(case_id))[-1]
    assert placed["type"] == "doorstep.case.hold_placed.v1"
    assert (placed["holds"], placed["collection_paused"]) == (["dispute"], True)
    assert (placed["hold_id"], placed["hold_type"]) == (str(hold.id), "dispute")
    assert (placed["freezes_fees"], placed["ends_on"]) == (False, None)

    # The overdue notice went out before the dispute; ten days later the ladder could climb
    # to the field stage, but the hold keeps it where it is.
    async with db.change(case_id, day(10)) as ctx:
        ctx.case.first_notice_sent_on = DAY_0
        assert await advance(ctx) == 0
    assert (await db.case(case_id)).stage == "reminder"

    async with db.change(case_id, day(10)) as ctx:
        await lift_hold(
            ctx,
            await find_hold(ctx, hold.id),
            reason="debt verified",
            lifted_by="ops-anna",
            because="operations",
        )
    events = await db.events(case_id)
    lifted, *moves = events[events.index(placed) + 1 :]
    assert lifted["type"] == "doorstep.case.hold_lifted.v1"
    assert (lifted["holds"], lifted["collection_paused"]) == ([], False)
    assert lifted["lifted_because"] == "operations"
    assert [(m["type"], m["stage"]) for m in moves] == [
        ("doorstep.case.stage_changed.v1", "contact"),
        ("doorstep.case.stage_changed.v1", "field"),
    ]
    [stored] = await db.holds(case_id)
    assert (stored.lifted_on, stored.lifted_by, stored.lift_reason) == (
        day(10), "ops-anna", "debt verified"
    )  # fmt: skip


async def test_a_moratorium_freezes_charges_and_frozen_days_are_never_charged(
    db: CaseDb,
) -> None:
    case_id = await db.open_case()
    charged_on_opening = (await db.case(case_id)).total_charges
    async with db.change(case_id, DAY_0) as ctx:
        hold = await place_hold(
            ctx, hold_type="moratorium", reason="breathing space", ends_on=day(30),
            placed_by="ops-anna",
        )  # fmt: skip
    assert hold.freezes_fees

    async with db.change(case_id, day(5)) as ctx:
        await accrue_penalty_interest(ctx)
    assert (await db.case(case_id)).penalty_interest_charged == 0

    async with db.change(case_id, day(10)) as ctx:
        await lift_hold(
            ctx,
            await find_hold(ctx, hold.id),
            reason="adviser ended it",
            lifted_by="ops",
            because="operations",
        )
    async with db.change(case_id, day(12)) as ctx:
        await accrue_penalty_interest(ctx)

    case = await db.case(case_id)
    # Two days after the lift, at 0.05% a day on 1200.00: the ten frozen days cost nothing.
    assert case.penalty_interest_charged == Decimal("1.20")
    assert case.total_charges == charged_on_opening + Decimal("1.20")
    accrued = [e for e in await db.events(case_id) if e["type"].endswith("charges_accrued.v1")]
    assert accrued[-1]["penalty_interest_added"] == "1.20"


async def test_a_dispute_does_not_freeze_charges(db: CaseDb) -> None:
    case_id = await db.open_case()
    async with db.change(case_id, DAY_0) as ctx:
        await place_hold(ctx, hold_type="dispute", reason="x", ends_on=None, placed_by="ops")
    async with db.change(case_id, day(4)) as ctx:
        await accrue_penalty_interest(ctx)
    assert (await db.case(case_id)).penalty_interest_charged == Decimal("2.40")


async def test_a_moratorium_needs_an_end_within_sixty_days(db: CaseDb) -> None:
    case_id = await db.open_case()
    for ends_on in (None, day(61), day(-1)):
        with pytest.raises(InvalidHoldPeriodError):
            async with db.change(case_id, DAY_0) as ctx:
                await place_hold(
                    ctx, hold_type="moratorium", reason="x", ends_on=ends_on, placed_by="ops"
                )
    async with db.change(case_id, DAY_0) as ctx:
        await place_hold(ctx, hold_type="moratorium", reason="x", ends_on=day(60), placed_by="ops")
    assert [h.ends_on for h in await db.holds(case_id)] == [day(60)]


async def test_a_second_active_hold_of_the_same_type_is_refused(db: CaseDb) -> None:
    case_id = await db.open_case()
    async with db.change(case_id, DAY_0) as ctx:
        await place_hold(ctx, hold_type="hardship", reason="lost job", ends_on=None, placed_by="a")
    with pytest.raises(HoldAlreadyActiveError):
        async with db.change(case_id, DAY_0) as ctx:
            await place_hold(ctx, hold_type="hardship", reason="again", ends_on=None, placed_by="b")
    # Another type is a separate hold, and both show in the state.
    async with db.change(case_id, DAY_0) as ctx:
        await place_hold(ctx, hold_type="dispute", reason="amount", ends_on=None, placed_by="a")
    assert (await db.events(case_id))[-1]["holds"] == ["dispute", "hardship"]


async def test_a_moratorium_lifts_itself_the_day_after_it_ends(db: CaseDb) -> None:
    case_id = await db.open_case()
    async with db.change(case_id, DAY_0) as ctx:
        await place_hold(
            ctx, hold_type="moratorium", reason="breathing space", ends_on=day(20), placed_by="a"
        )
    async with db.change(case_id, day(20)) as ctx:
        await expire_holds(ctx)
    assert (await db.holds(case_id))[0].lifted_on is None

    for _ in range(2):  # the daily job may run twice for a date
        async with db.change(case_id, day(21)) as ctx:
            await expire_holds(ctx)
    [hold] = await db.holds(case_id)
    assert (hold.lifted_on, hold.lifted_by) == (day(21), "doorstep")
    lifted = [e for e in await db.events(case_id) if e["type"].endswith("hold_lifted.v1")]
    assert len(lifted) == 1
    assert (lifted[0]["lifted_because"], lifted[0]["collection_paused"]) == ("expired", False)


# --- the API ------------------------------------------------------------------------------


async def test_holds_over_http_with_etags(database_url: str) -> None:
    async with api(database_url) as (client, db):
        case_id = await db.open_case()
        await pin(db, DAY_0)
        url = f"/v1/cases/{case_id}/holds"
        listed = await client.get(url)
        assert listed.status_code == 200
        assert listed.json() == {"items": []}
        etag = listed.headers["etag"]

        body = {"hold_type": "dispute", "reason": "not my loan", "placed_by": "ops-anna"}
        placed = await client.post(url, json=body, headers={"If-Match": etag})
        assert placed.status_code == 201, placed.text
        hold = placed.json()
        assert (hold["hold_type"], hold["active"], hold["freezes_fees"]) == ("dispute", True, False)
        assert hold["starts_on"] == str(DAY_0)
        assert placed.headers["etag"] != etag

        # Someone read the case before the hold: their change is refused, nothing happens.
        stale = await client.post(
            url, json={**body, "hold_type": "hardship"}, headers={"If-Match": etag}
        )
        assert stale.status_code == 412
        assert stale.headers["content-type"] == "application/problem+json"
        again = await client.post(url, json=body)
        assert again.status_code == 409
        assert again.json()["type"].endswith("/hold-already-active")

        lift_url = f"{url}/{hold['id']}/lift"
        lifted = await client.post(
            lift_url,
            json={"reason": "verified", "lifted_by": "ops-anna"},
            headers={"If-Match": placed.headers["etag"]},
        )
        assert lifted.status_code == 200, lifted.text
        assert (lifted.json()["active"], lifted.json()["lifted_on"]) == (False, str(DAY_0))
        twice = await client.post(lift_url, json={"reason": "again", "lifted_by": "x"})
        assert twice.status_code == 409
        assert twice.json()["type"].endswith("/hold-not-active")

        items = (await client.get(url)).json()["items"]
        assert [(h["hold_type"], h["active"]) for h in items] == [("dispute", False)]
        types = [e["type"] for e in await db.events(case_id)]
        assert types.count("doorstep.case.hold_placed.v1") == 1
        assert types.count("doorstep.case.hold_lifted.v1") == 1


async def test_hold_requests_are_validated_without_echo(database_url: str) -> None:
    async with api(database_url) as (client, db):
        case_id = await db.open_case()
        url = f"/v1/cases/{case_id}/holds"
        for body in (
            {"hold_type": "holiday", "reason": "secret-reason-1", "placed_by": "a"},
            {"hold_type": "dispute", "reason": "secret-reason-2", "placed_by": "a", "x": 1},
        ):
            response = await client.post(url, json=body)
            assert response.status_code == 422
            assert "secret-reason" not in response.text
        no_end = await client.post(
            url, json={"hold_type": "moratorium", "reason": "breathing space", "placed_by": "a"}
        )
        assert no_end.status_code == 422
        assert no_end.json()["type"].endswith("/invalid-hold-period")
        unknown = await client.post(
            f"/v1/cases/{uuid.uuid4()}/holds",
            json={"hold_type": "dispute", "reason": "x", "placed_by": "a"},
        )
        assert unknown.status_code == 404
        assert unknown.json()["type"].endswith("/case-not-found")
        missing_hold = await client.post(
            f"{url}/{uuid.uuid4()}/lift", json={"reason": "x", "lifted_by": "a"}
        )
        assert missing_hold.status_code == 404
        assert missing_hold.json()["type"].endswith("/hold-not-found")
        assert [e["type"] for e in await db.events(case_id)][-1] != ("doorstep.case.hold_placed.v1")


async def test_vulnerability_is_flagged_without_publishing_the_category(
    database_url: str,
) -> None:
    async with api(database_url) as (client, db):
        case_id = await db.open_case()
        url = f"/v1/cases/{case_id}/vulnerability"
        flagged = await client.put(url, json={"category": "health", "note": "after surgery"})
        assert flagged.status_code == 200, flagged.text
        assert flagged.json() == {"case_id": str(case_id), "vulnerable": True, "category": "health"}
        event = (await db.events(case_id))[-1]
        assert (event["type"], event["vulnerable"]) == (
            "doorstep.case.vulnerability_changed.v1", True
        )  # fmt: skip
        assert "health" not in json.dumps(event)
        assert "surgery" not in json.dumps(event)
        assert (await db.case(case_id)).vulnerability_category == "health"

        count = len(await db.events(case_id))
        same = await client.put(url, json={"category": "health"})
        assert same.status_code == 200
        assert len(await db.events(case_id)) == count  # nothing changed, no event

        stale = await client.delete(url, headers={"If-Match": '"not-the-etag"'})
        assert stale.status_code == 412
        cleared = await client.delete(url, headers={"If-Match": same.headers["etag"]})
        assert cleared.status_code == 200
        assert cleared.json()["vulnerable"] is False
        last = (await db.events(case_id))[-1]
        assert (last["type"], last["vulnerable"]) == (
            "doorstep.case.vulnerability_changed.v1",
            False,
        )
        assert (await db.case(case_id)).vulnerability_category is None

        invalid = await client.put(url, json={"category": "rich"})
        assert invalid.status_code == 422
