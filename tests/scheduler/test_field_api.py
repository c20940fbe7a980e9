"""The field API over the real ASGI app, on SQLite and PostgreSQL: agenda, check-in, outcome."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from doorstep_scheduler.cases.models import CaseView
from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.db import audit_table, inbox_table, outbox_table
from doorstep_scheduler.main import create_app
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.teams.models import Team
from doorstep_scheduler.visits.handlers import CONSUMER_NAME, build_case_event_handler
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.clock import utc_now
from doorstep_shared.messaging.consumer import transactional_handler
from doorstep_shared.security.principal import Scope
from tests.scheduler.case_events import deliver, resolved
from tests.support.apps import app_client, bearer, issue_key, migrate

ZONE = "Asia/Shanghai"
HOME = (31.2304, 121.4737)
OUTCOME_EVENT = "doorstep.visit.outcome_recorded.v1"
NOTES = "Lost his job at the port in October; daughter pays the rent."
NAME = "Wang Xiaoming"
STREET = "88 Century Avenue"

AppFactory = Callable[..., Awaitable[FastAPI]]


@pytest.fixture
async def make_app(database_url: str) -> AppFactory:
    await migrate(MIGRATIONS, database_url)

    async def build(**settings: Any) -> FastAPI:
        return create_app(
            SchedulerSettings(
                database_url=database_url, background_workers_enabled=False, **settings
            )
        )

    return build


@pytest.fixture
async def app(make_app: AppFactory) -> FastAPI:
    return await make_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as http:
        yield http


def local_today() -> date:
    return utc_now().astimezone(ZoneInfo(ZONE)).date()


def a_team(name: str) -> Team:
    now = utc_now()
    return Team(
        id=uuid.uuid4(),
        name=name,
        active=True,
        timezone=ZONE,
        max_visits_per_day=8,
        created_at=now,
        updated_at=now,
    )


def a_visit(team: Team, position: int, **overrides: Any) -> Visit:
    """A scheduled, announced visit whose window is open now."""
    now = utc_now()
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "case_id": uuid.uuid4(),
        "trigger_event_id": str(uuid.uuid4()),
        "status": "scheduled",
        "attempt": 1,
        "priority": 2,
        "latitude": HOME[0],
        "longitude": HOME[1],
        "terms": {
            "timezone": ZONE,
            "language": "zh-CN",
            "customer_name": NAME,
            "address": {
                "line1": STREET,
                "line2": None,
                "city": "Shanghai",
                "region": None,
                "postal_code": "200120",
                "country": "CN",
            },
            "address_kind": "home",
            "visit_consent_recorded": False,
        },
        "team_id": team.id,
        "plan_day": local_today(),
        "route_position": position,
        "service_start": now + timedelta(minutes=10 * position),
        "window_start": now - timedelta(hours=1),
        "window_end": now + timedelta(hours=1),
        "notice_status": "sent",
        "created_at": now - timedelta(days=3),
    }
    fields.update(overrides)
    return Visit(**fields)


def a_case(visit: Visit, currency: str = "CNY") -> CaseView:
    return CaseView(
        case_id=visit.case_id,
        status="open",
        stage="field",
        treatment="field_visit",
        days_past_due=45,
        collection_paused=False,
        holds=[],
        total_due=Decimal("3200.00"),
        currency=currency,
        broken_promises=0,
        last_sequence=4,
        updated_at=utc_now(),
    )


async def store(app: FastAPI, *rows: object) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all(rows)


async def visits_of_case(app: FastAPI, case_id: uuid.UUID) -> list[Visit]:
    async with app.state.sessionmaker() as session:
        result = await session.execute(
            select(Visit).where(Visit.case_id == case_id).order_by(Visit.attempt)
        )
        return list(result.scalars())


async def case_view(app: FastAPI, case_id: uuid.UUID) -> CaseView:
    async with app.state.sessionmaker() as session:
        found = await session.get(CaseView, case_id)
        assert found is not None
        return found


async def outbox(app: FastAPI) -> list[tuple[str, str]]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(select(outbox_table.c.event_type, outbox_table.c.payload))
        return [(event_type, payload) for event_type, payload in rows]


async def collector_of(app: FastAPI, team: Team) -> dict[str, str]:
    token = await issue_key(app, {Scope.VISITS_READ, Scope.VISITS_WRITE}, team_id=team.id)
    return bearer(token)


async def checked_in(app: FastAPI, client: httpx.AsyncClient, **overrides: Any) -> Visit:
    """A visit the team has checked in at, with its case in the read model."""
    team = a_team(f"Team {uuid.uuid4().hex[:6]}")
    visit = a_visit(team, 1, **overrides)
    await store(app, team, visit, a_case(visit))
    response = await client.post(
        f"/v1/visits/{visit.id}/check-in", json={"latitude": HOME[0], "longitude": HOME[1]}
    )
    assert response.status_code == 200, response.text
    return visit


def promise(days_ahead: int = 7, currency: str = "CNY") -> dict[str, str]:
    promised = local_today() + timedelta(days=days_ahead)
    return {"amount": "500.00", "currency": currency, "date": promised.isoformat()}


# -- agenda ------------------------------------------------------------------------------------


async def test_agenda_lists_the_team_day_in_route_order_with_map_and_door_data(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team, other = a_team("Team A"), a_team("Team B")
    second = a_visit(team, 2, latitude=31.24, longitude=121.50)
    first = a_visit(team, 1, terms=None, latitude=None, longitude=None)
    third = a_visit(team, 3, status="completed", outcome="met")
    dropped = a_visit(team, 4, status="cancelled", cancelled_at=utc_now())
    tomorrow = a_visit(team, 1, plan_day=local_today() + timedelta(days=1))
    elsewhere = a_visit(other, 1)
    await store(app, team, other, second, first, third, dropped, tomorrow, elsewhere)

    response = await client.get(
        "/v1/visits/agenda", params={"team_id": str(team.id), "day": local_today().isoformat()}
    )

    assert response.status_code == 200
    agenda = response.json()
    assert agenda["team_id"] == str(team.id)
    assert agenda["count"] == 3
    assert [stop["visit_id"] for stop in agenda["items"]] == [
        str(first.id),
        str(second.id),
        str(third.id),
    ]
    assert [stop["route_position"] for stop in agenda["items"]] == [1, 2, 3]
    stop = agenda["items"][1]
    assert stop["coordinates"] == {"latitude": 31.24, "longitude": 121.50}
    assert stop["customer_name"] == NAME
    assert stop["address"]["line1"] == STREET
    assert stop["address"]["postal_code"] == "200120"
    assert stop["address_kind"] == "home"
    assert stop["notice_status"] == "sent"
    assert stop["attempt"] == 1
    window = stop["window"]
    assert window["timezone"] == ZONE
    local_start = datetime.fromisoformat(window["local_start"])
    assert local_start.utcoffset() == timedelta(hours=8)
    assert local_start == datetime.fromisoformat(window["start"])
    # Without terms or coordinates the stop is still listed, with what is known.
    bare = agenda["items"][0]
    assert bare["coordinates"] is None
    assert bare["customer_name"] is None
    assert bare["address"] is None
    assert bare["window"]["local_start"] is None
    assert agenda["items"][2]["status"] == "completed"


async def test_a_collector_reads_and_checks_in_only_for_its_own_team(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team, other = a_team("Team A"), a_team("Team B")
    ours, theirs = a_visit(team, 1), a_visit(other, 1)
    await store(app, team, other, ours, theirs)
    collector = await collector_of(app, team)
    day = local_today().isoformat()

    own = await client.get(
        "/v1/visits/agenda", params={"team_id": str(team.id), "day": day}, headers=collector
    )
    assert [stop["visit_id"] for stop in own.json()["items"]] == [str(ours.id)]
    foreign = await client.get(
        "/v1/visits/agenda", params={"team_id": str(other.id), "day": day}, headers=collector
    )
    assert foreign.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    assert foreign.json()["type"].endswith("/team-not-found")

    check_in = await client.post(
        f"/v1/visits/{theirs.id}/check-in",
        json={"latitude": HOME[0], "longitude": HOME[1]},
        headers=collector,
    )
    assert check_in.status_code == 404
    assert check_in.json()["type"].endswith("/visit-not-found")
    [unchanged] = await visits_of_case(app, theirs.case_id)
    assert unchanged.status == "scheduled"


async def test_agenda_needs_a_team_and_a_day(client: httpx.AsyncClient) -> None:
    for params in ({"day": "2026-12-07"}, {"team_id": str(uuid.uuid4()), "day": "monday"}):
        response = await client.get("/v1/visits/agenda", params=params)
        assert response.status_code == 422
        assert response.json()["type"].endswith("/validation-error")
    unknown = await client.get(
        "/v1/visits/agenda", params={"team_id": str(uuid.uuid4()), "day": "2026-12-07"}
    )
    assert unknown.status_code == 404


# -- check-in ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude_offset", "lowest", "highest", "far"),
    [(0.0004, 30, 60, False), (0.02, 2000, 2500, True)],  # ~44 m and ~2.2 km north
)
async def test_check_in_measures_the_distance_from_the_address(
    app: FastAPI,
    client: httpx.AsyncClient,
    latitude_offset: float,
    lowest: float,
    highest: float,
    far: bool,
) -> None:
    team = a_team("Team A")
    visit = a_visit(team, 1)
    await store(app, team, visit)
    arrived = utc_now() - timedelta(minutes=5)

    response = await client.post(
        f"/v1/visits/{visit.id}/check-in",
        json={
            "latitude": HOME[0] + latitude_offset,
            "longitude": HOME[1],
            "checked_in_at": arrived.isoformat(),
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "checked_in"
    assert lowest < body["check_in_distance_meters"] < highest
    assert body["check_in_far"] is far
    assert body["checked_in_outside_window"] is False
    assert datetime.fromisoformat(body["checked_in_at"]) == arrived
    [stored] = await visits_of_case(app, visit.case_id)
    assert stored.status == "checked_in"
    assert stored.check_in_latitude == pytest.approx(HOME[0] + latitude_offset)
    assert stored.check_in_far is far


async def test_check_in_outside_the_appointment_window_is_flagged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team = a_team("Team A")
    opens = utc_now() + timedelta(minutes=30)
    visit = a_visit(team, 1, window_start=opens, window_end=opens + timedelta(hours=2))
    await store(app, team, visit)
    early = opens - timedelta(minutes=40)

    response = await client.post(
        f"/v1/visits/{visit.id}/check-in",
        json={"latitude": HOME[0], "longitude": HOME[1], "checked_in_at": early.isoformat()},
    )

    assert response.status_code == 200
    assert response.json()["checked_in_outside_window"] is True
    assert response.json()["check_in_far"] is False


@pytest.mark.parametrize("notice_status", ["pending", "failed", None])
async def test_check_in_is_refused_when_the_customer_was_not_told(
    app: FastAPI, client: httpx.AsyncClient, notice_status: str | None
) -> None:
    team = a_team("Team A")
    visit = a_visit(team, 1, notice_status=notice_status)
    await store(app, team, visit)

    response = await client.post(
        f"/v1/visits/{visit.id}/check-in", json={"latitude": HOME[0], "longitude": HOME[1]}
    )

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/visit-notice-not-sent")
    [stored] = await visits_of_case(app, visit.case_id)
    assert stored.status == "scheduled"
    assert stored.checked_in_at is None


async def test_check_in_twice_or_in_the_future_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team = a_team("Team A")
    visit = a_visit(team, 1)
    await store(app, team, visit)
    path = f"/v1/visits/{visit.id}/check-in"
    later = (utc_now() + timedelta(hours=2)).isoformat()

    future = await client.post(
        path, json={"latitude": HOME[0], "longitude": HOME[1], "checked_in_at": later}
    )
    assert future.status_code == 422
    assert future.json()["type"].endswith("/invalid-check-in")
    naive = await client.post(
        path,
        json={"latitude": HOME[0], "longitude": HOME[1], "checked_in_at": "2026-12-07T10:00:00"},
    )
    assert naive.status_code == 422
    first = await client.post(path, json={"latitude": HOME[0], "longitude": HOME[1]})
    assert first.status_code == 200
    again = await client.post(path, json={"latitude": HOME[0], "longitude": HOME[1]})
    assert again.status_code == 409
    assert again.json()["type"].endswith("/visit-state-conflict")


# -- outcome -----------------------------------------------------------------------------------


async def test_a_promise_to_pay_is_recorded_and_published_without_personal_data(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)
    promised = promise(days_ahead=10)

    response = await client.post(
        f"/v1/visits/{visit.id}/outcome",
        json={"outcome": "promise_to_pay", "notes": NOTES, "promise": promised},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert body["outcome"] == "promise_to_pay"
    assert body["promise_amount"] == "500.00"
    assert body["promise_date"] == promised["date"]
    assert "notes" not in json.dumps(body)
    [stored] = await visits_of_case(app, visit.case_id)
    assert stored.outcome_notes == NOTES
    assert stored.promise_amount == Decimal("500.00")
    assert stored.promise_currency == "CNY"
    assert stored.promise_date == date.fromisoformat(promised["date"])
    assert stored.outcome_at is not None

    [(event_type, payload)] = await outbox(app)
    assert event_type == OUTCOME_EVENT
    data = json.loads(payload)  # binary-mode CloudEvents: the value is the data
    assert data["visit_id"] == str(visit.id)
    assert data["outcome"] == "promise_to_pay"
    assert Decimal(data["promise_amount"]) == Decimal("500.00")
    assert data["promise_currency"] == "CNY"
    for personal in (NOTES, NAME, STREET, "200120"):
        assert personal not in payload
    assert "notes" not in data


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"outcome": "promise_to_pay"}, "/invalid-visit-outcome"),
        ({"outcome": "promise_to_pay", "promise": promise(currency="USD")}, "/currency-mismatch"),
        (
            {"outcome": "promise_to_pay", "promise": promise(days_ahead=-1)},
            "/invalid-visit-outcome",
        ),
        (
            {"outcome": "promise_to_pay", "promise": promise(days_ahead=120)},
            "/invalid-visit-outcome",
        ),
        ({"outcome": "met", "promise": promise()}, "/invalid-visit-outcome"),
        (
            {"outcome": "promise_to_pay", "promise": {**promise(), "amount": 500}},
            "/validation-error",
        ),
        ({"outcome": "met", "notes": "x" * 2001}, "/validation-error"),
        ({"outcome": "gone_fishing"}, "/validation-error"),
    ],
)
async def test_an_invalid_outcome_is_a_422_problem_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], problem: str
) -> None:
    visit = await checked_in(app, client)

    response = await client.post(f"/v1/visits/{visit.id}/outcome", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(problem)
    [stored] = await visits_of_case(app, visit.case_id)
    assert stored.status == "checked_in"
    assert stored.outcome is None
    assert await outbox(app) == []


async def test_the_cn_pack_requires_a_recording_where_someone_was_spoken_to(
    make_app: AppFactory,
) -> None:
    app = await make_app(contact_rule_pack="CN")
    async with app_client(app) as client:
        spoken = await checked_in(app, client)
        refused = await client.post(f"/v1/visits/{spoken.id}/outcome", json={"outcome": "met"})
        assert refused.status_code == 422
        assert refused.json()["type"].endswith("/recording-required")
        recorded = await client.post(
            f"/v1/visits/{spoken.id}/outcome",
            json={"outcome": "met", "recording_ref": "rec-0142"},
        )
        assert recorded.status_code == 200
        assert recorded.json()["recording_ref"] == "rec-0142"

        nobody = await checked_in(app, client)
        not_home = await client.post(
            f"/v1/visits/{nobody.id}/outcome", json={"outcome": "not_home"}
        )
        assert not_home.status_code == 200


async def test_recordings_are_optional_outside_the_cn_pack(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)
    response = await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "refused"})
    assert response.status_code == 200
    assert response.json()["outcome"] == "refused"


async def test_nobody_home_requests_the_next_attempt(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)

    response = await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "not_home"})

    assert response.status_code == 200
    done, revisit = await visits_of_case(app, visit.case_id)
    assert done.id == visit.id
    assert done.status == "completed"
    assert revisit.id != visit.id
    assert revisit.status == "unassigned"
    assert revisit.attempt == 2
    assert revisit.priority == visit.priority
    assert revisit.trigger_event_id == visit.trigger_event_id
    assert (revisit.latitude, revisit.longitude) == HOME
    assert revisit.terms == visit.terms
    assert revisit.team_id is None
    assert revisit.unassigned_code == "awaiting_plan"
    assert revisit.unassigned_reason == "re-visit after nobody was home (attempt 2 of 3)"
    assert (await case_view(app, visit.case_id)).visits_exhausted_stage is None
    assert [event_type for event_type, _ in await outbox(app)] == [OUTCOME_EVENT]
    listed = (await client.get("/v1/visits", params={"case_id": str(visit.case_id)})).json()
    assert {v["status"] for v in listed["items"]} == {"completed", "unassigned"}


async def test_the_last_attempt_leaves_the_stage_to_the_ladder(
    make_app: AppFactory,
) -> None:
    app = await make_app(max_visit_attempts=2)
    async with app_client(app) as client:
        visit = await checked_in(app, client, attempt=2)

        response = await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "not_home"})

        assert response.status_code == 200
        [only] = await visits_of_case(app, visit.case_id)
        assert only.status == "completed"
        assert (await case_view(app, visit.case_id)).visits_exhausted_stage == "field"


async def test_an_outcome_needs_a_check_in_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    team = a_team("Team A")
    visit = a_visit(team, 1)
    await store(app, team, visit, a_case(visit))

    response = await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "met"})

    assert response.status_code == 409
    assert response.json()["type"].endswith("/visit-state-conflict")
    [stored] = await visits_of_case(app, visit.case_id)
    assert stored.status == "scheduled"
    assert await outbox(app) == []


async def test_the_same_outcome_again_is_a_replay_and_another_is_a_conflict(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)
    body = {"outcome": "promise_to_pay", "notes": NOTES, "promise": promise()}
    path = f"/v1/visits/{visit.id}/outcome"

    first = await client.post(path, json=body)
    replay = await client.post(path, json=body)
    other = await client.post(path, json={"outcome": "refused"})

    assert first.status_code == 200
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert other.status_code == 409
    assert [event_type for event_type, _ in await outbox(app)] == [OUTCOME_EVENT]


async def test_visit_reads_never_show_notes_or_terms(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)
    await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "met", "notes": NOTES})

    listed = await client.get("/v1/visits", params={"case_id": str(visit.case_id)})
    one = await client.get(f"/v1/visits/{visit.id}")

    [item] = listed.json()["items"]
    assert item["outcome"] == "met"
    assert item["team_id"] == str(visit.team_id)
    assert item["plan_day"] == local_today().isoformat()
    assert item["notice_status"] == "sent"
    for text in (listed.text, one.text):
        for personal in (NOTES, NAME, STREET):
            assert personal not in text


async def test_a_case_cured_while_the_team_is_at_the_door_keeps_the_visit_to_close(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)
    handle = transactional_handler(
        app.state.sessionmaker,
        inbox_table,
        CONSUMER_NAME,
        build_case_event_handler(app.state.settings),
    )
    # The customer pays at the door: case-api resolves the case while the team is there.
    await deliver(handle, resolved(visit.case_id, sequence=5))

    [kept] = await visits_of_case(app, visit.case_id)
    assert kept.status == "checked_in"
    paid = await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "paid"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "completed"


async def test_nobody_home_on_a_case_that_no_longer_calls_for_a_visit_ends_there(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    visit = await checked_in(app, client)
    async with app.state.sessionmaker() as session, session.begin():
        view = await session.get(CaseView, visit.case_id)
        assert view is not None
        view.holds = ["dispute"]
        view.collection_paused = True

    response = await client.post(f"/v1/visits/{visit.id}/outcome", json={"outcome": "not_home"})

    assert response.status_code == 200
    [only] = await visits_of_case(app, visit.case_id)
    assert only.status == "completed"


async def test_every_agenda_read_is_in_the_audit_log_without_the_values(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team = a_team("Audited")
    visit = a_visit(team, 1)
    await store(app, team, visit, a_case(visit))
    collector = await collector_of(app, team)

    read = await client.get(
        "/v1/visits/agenda",
        params={"team_id": str(team.id), "day": str(visit.plan_day)},
        headers=collector,
    )

    assert read.status_code == 200, read.text
    async with app.state.sessionmaker() as session:
        rows = (await session.execute(select(audit_table))).all()
    reads = [row for row in rows if row.action == "pii.read"]
    assert [row.case_id for row in reads] == [visit.case_id]
    assert reads[0].details == {"fields": ["address", "customer_name"], "purpose": "field-agenda"}
    assert reads[0].actor.startswith("key:")
    assert STREET not in str([row.details for row in rows])
