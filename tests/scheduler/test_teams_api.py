"""Teams, collectors and absences over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from doorstep_scheduler.cli import MIGRATIONS
from doorstep_scheduler.main import create_app
from doorstep_scheduler.settings import SchedulerSettings
from tests.support.apps import app_client, bearer, issue_key, migrate

TEAM: dict[str, Any] = {
    "name": "London North",
    "region": "london",
    "timezone": "Europe/London",
    "base": {"latitude": 51.5416, "longitude": -0.1426},
    "holiday_country": "GB",
    "max_visits_per_day": 8,
}


def member(**changes: Any) -> dict[str, Any]:
    return {
        "employee_ref": "E1",
        "name": "Amira Khan",
        "working_hours": {"start": "09:00", "end": "17:30"},
        "working_weekdays": [0, 1, 2, 3, 4],
        "languages": ["en"],
        "max_visits_per_day": 6,
        **changes,
    }


@pytest.fixture
async def app(database_url: str) -> FastAPI:
    await migrate(MIGRATIONS, database_url)
    return create_app(
        SchedulerSettings(database_url=database_url, background_workers_enabled=False)
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as http:
        yield http


async def create_team(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    created = await client.post("/v1/teams", json={**TEAM, **changes})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def create_member(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    created = await client.post("/v1/collectors", json=member(**changes))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/{slug}")


# --- teams ---


async def test_a_team_is_created_read_and_listed_by_name(client: httpx.AsyncClient) -> None:
    north = await create_team(client)
    assert {k: north[k] for k in TEAM} == TEAM
    assert north["active"] is True
    assert north["members"] == []
    assert north["size"] == 0
    await create_team(client, name="Bristol", base=None, region=None, holiday_country="gb")

    listed = (await client.get("/v1/teams")).json()["items"]
    assert [team["name"] for team in listed] == ["Bristol", "London North"]
    assert listed[0]["base"] is None
    assert listed[0]["holiday_country"] == "GB"
    one = await client.get(f"/v1/teams/{north['id']}")
    assert one.status_code == 200
    assert one.json() == north


async def test_a_team_is_changed_only_in_the_fields_sent(client: httpx.AsyncClient) -> None:
    team = await create_team(client)
    moved = await client.patch(
        f"/v1/teams/{team['id']}",
        json={"base": {"latitude": 51.5033, "longitude": -0.0195}, "max_visits_per_day": 5},
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["base"] == {"latitude": 51.5033, "longitude": -0.0195}
    assert body["max_visits_per_day"] == 5
    kept = (body["name"], body["timezone"], body["region"], body["holiday_country"])
    assert kept == ("London North", "Europe/London", "london", "GB")

    cleared = await client.patch(
        f"/v1/teams/{team['id']}", json={"base": None, "region": None, "active": False}
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["base"], cleared.json()["region"]) == (None, None)
    assert cleared.json()["active"] is False
    assert (await client.get(f"/v1/teams/{team['id']}")).json() == cleared.json()


@pytest.mark.parametrize(
    "changes",
    [
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "localtime"},
        {"base": {"latitude": 91, "longitude": 0}},
        {"base": {"latitude": 51.5, "longitude": -180.5}},
        {"base": {"latitude": 51.5}},
        {"holiday_country": "XX"},
        {"holiday_country": "GBR"},
        {"max_visits_per_day": 0},
        {"max_visits_per_day": 25},
        {"name": ""},
        {"colour": "blue"},
    ],
)
async def test_an_invalid_team_is_refused_with_a_problem(
    client: httpx.AsyncClient, changes: dict[str, Any]
) -> None:
    assert_problem(
        await client.post("/v1/teams", json={**TEAM, **changes}), 422, "validation-error"
    )
    assert (await client.get("/v1/teams")).json()["items"] == []


@pytest.mark.parametrize(
    "changes",
    [
        {"name": None},
        {"timezone": None},
        {"timezone": "Europe/Londres"},
        {"active": None},
        {"size": 3},
    ],
)
async def test_an_invalid_team_change_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, changes: dict[str, Any]
) -> None:
    team = await create_team(client)
    assert_problem(
        await client.patch(f"/v1/teams/{team['id']}", json=changes), 422, "validation-error"
    )
    assert (await client.get(f"/v1/teams/{team['id']}")).json() == team


async def test_team_names_are_unique(client: httpx.AsyncClient) -> None:
    await create_team(client)
    assert_problem(await client.post("/v1/teams", json=TEAM), 409, "team-name-taken")
    other = await create_team(client, name="London South")
    renamed = await client.patch(f"/v1/teams/{other['id']}", json={"name": "London North"})
    assert_problem(renamed, 409, "team-name-taken")
    same = await client.patch(f"/v1/teams/{other['id']}", json={"name": "London South"})
    assert same.status_code == 200
    assert len((await client.get("/v1/teams")).json()["items"]) == 2


async def test_an_unknown_team_is_a_404_problem(client: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    assert_problem(await client.get(f"/v1/teams/{missing}"), 404, "team-not-found")
    assert_problem(
        await client.patch(f"/v1/teams/{missing}", json={"active": False}), 404, "team-not-found"
    )


# --- collectors ---


async def test_a_collector_joins_a_team_and_counts_towards_its_size(
    client: httpx.AsyncClient,
) -> None:
    team = await create_team(client)
    amira = await create_member(
        client,
        team_id=team["id"],
        languages=["EN", "zh_cn", "en", "zh-hant-tw"],
        skills=["Vehicle-Finance", "sme"],
        working_weekdays=[4, 0, 2],
    )
    assert amira["team_id"] == team["id"]
    assert amira["languages"] == ["en", "zh-CN", "zh-Hant-TW"]
    assert amira["skills"] == ["vehicle-finance", "sme"]
    assert amira["working_weekdays"] == [0, 2, 4]
    assert amira["working_hours"] == {"start": "09:00", "end": "17:30"}
    assert amira["active"] is True
    tom = await create_member(client, employee_ref="E2", name="Tom Price", team_id=team["id"])

    staffed = (await client.get(f"/v1/teams/{team['id']}")).json()
    assert staffed["members"] == [
        {"id": amira["id"], "name": "Amira Khan", "active": True},
        {"id": tom["id"], "name": "Tom Price", "active": True},
    ]
    assert staffed["size"] == 2
    assert (await client.get(f"/v1/collectors/{amira['id']}")).json() == amira


async def test_collectors_are_listed_by_team_and_activity(client: httpx.AsyncClient) -> None:
    north = await create_team(client)
    south = await create_team(client, name="London South")
    await create_member(client, employee_ref="E1", name="Ann", team_id=north["id"])
    await create_member(client, employee_ref="E2", name="Bob", team_id=south["id"])
    cai = await create_member(client, employee_ref="E3", name="Cai", team_id=north["id"])
    await client.patch(f"/v1/collectors/{cai['id']}", json={"active": False})

    async def names(**params: Any) -> list[str]:
        listed = await client.get("/v1/collectors", params=params)
        assert listed.status_code == 200, listed.text
        return [collector["name"] for collector in listed.json()["items"]]

    assert await names() == ["Ann", "Bob", "Cai"]
    assert await names(team_id=north["id"]) == ["Ann", "Cai"]
    assert await names(team_id=north["id"], active="true") == ["Ann"]
    assert await names(active="false") == ["Cai"]
    assert await names(team_id=str(uuid.uuid4())) == []
    bad_filter = await client.get("/v1/collectors", params={"team_id": "north"})
    assert_problem(bad_filter, 422, "validation-error")


async def test_a_collector_moves_teams_and_leaves_them(client: httpx.AsyncClient) -> None:
    north = await create_team(client)
    south = await create_team(client, name="London South")
    amira = await create_member(client, team_id=north["id"], skills=["sme"])

    moved = await client.patch(f"/v1/collectors/{amira['id']}", json={"team_id": south["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["team_id"] == south["id"]
    assert moved.json()["skills"] == ["sme"]  # untouched
    assert (await client.get(f"/v1/teams/{north['id']}")).json()["size"] == 0
    assert (await client.get(f"/v1/teams/{south['id']}")).json()["size"] == 1

    changed = await client.patch(
        f"/v1/collectors/{amira['id']}",
        json={"working_hours": {"start": "10:00", "end": "19:00"}, "languages": ["pl"]},
    )
    assert changed.json()["working_hours"] == {"start": "10:00", "end": "19:00"}
    assert changed.json()["languages"] == ["pl"]
    assert changed.json()["team_id"] == south["id"]

    out = await client.patch(f"/v1/collectors/{amira['id']}", json={"team_id": None})
    assert out.json()["team_id"] is None
    assert (await client.get(f"/v1/teams/{south['id']}")).json()["members"] == []


async def test_an_inactive_member_is_listed_but_not_counted(client: httpx.AsyncClient) -> None:
    team = await create_team(client)
    amira = await create_member(client, team_id=team["id"])
    await create_member(client, employee_ref="E2", name="Tom Price", team_id=team["id"])
    await client.patch(f"/v1/collectors/{amira['id']}", json={"active": False})
    staffed = (await client.get(f"/v1/teams/{team['id']}")).json()
    assert [(m["name"], m["active"]) for m in staffed["members"]] == [
        ("Amira Khan", False),
        ("Tom Price", True),
    ]
    assert staffed["size"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"working_hours": {"start": "18:00", "end": "09:00"}},
        {"working_hours": {"start": "09:00", "end": "09:00"}},
        {"working_hours": {"start": "9:00", "end": "17:00"}},
        {"working_hours": {"start": "09:00:00", "end": "17:00"}},
        {"working_hours": {"start": "09:00", "end": "24:00"}},
        {"working_weekdays": []},
        {"working_weekdays": [0, 7]},
        {"working_weekdays": [1, 1]},
        {"languages": []},
        {"languages": ["english"]},
        {"languages": ["en-"]},
        {"skills": ["has space"]},
        {"max_visits_per_day": 0},
        {"employee_ref": ""},
        {"team_id": "north"},
        {"nickname": "Ami"},
    ],
)
async def test_an_invalid_collector_is_refused_with_a_problem(
    client: httpx.AsyncClient, changes: dict[str, Any]
) -> None:
    response = await client.post("/v1/collectors", json=member(**changes))
    assert_problem(response, 422, "validation-error")
    assert "Amira" not in response.text  # submitted values are not echoed
    assert (await client.get("/v1/collectors")).json()["items"] == []


@pytest.mark.parametrize(
    "changes",
    [
        {"name": None},
        {"working_hours": None},
        {"working_hours": {"start": "12:00", "end": "11:00"}},
        {"working_weekdays": None},
        {"languages": None},
        {"active": None},
        {"skills": ["Bad Slug"]},
    ],
)
async def test_an_invalid_collector_change_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, changes: dict[str, Any]
) -> None:
    amira = await create_member(client)
    response = await client.patch(f"/v1/collectors/{amira['id']}", json=changes)
    assert_problem(response, 422, "validation-error")
    assert (await client.get(f"/v1/collectors/{amira['id']}")).json() == amira


async def test_employee_refs_are_unique(client: httpx.AsyncClient) -> None:
    await create_member(client)
    assert_problem(
        await client.post("/v1/collectors", json=member(name="Other")), 409, "employee-ref-taken"
    )
    tom = await create_member(client, employee_ref="E2", name="Tom Price")
    taken = await client.patch(f"/v1/collectors/{tom['id']}", json={"employee_ref": "E1"})
    assert_problem(taken, 409, "employee-ref-taken")
    assert (await client.get(f"/v1/collectors/{tom['id']}")).json()["employee_ref"] == "E2"


async def test_an_unknown_team_in_a_body_is_a_422_problem(client: httpx.AsyncClient) -> None:
    nowhere = str(uuid.uuid4())
    refused = await client.post("/v1/collectors", json=member(team_id=nowhere))
    assert_problem(refused, 422, "unknown-team")
    amira = await create_member(client)
    moved = await client.patch(f"/v1/collectors/{amira['id']}", json={"team_id": nowhere})
    assert_problem(moved, 422, "unknown-team")
    assert (await client.get(f"/v1/collectors/{amira['id']}")).json()["team_id"] is None


async def test_an_unknown_collector_is_a_404_problem(client: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    assert_problem(await client.get(f"/v1/collectors/{missing}"), 404, "collector-not-found")
    assert_problem(
        await client.patch(f"/v1/collectors/{missing}", json={"active": False}),
        404,
        "collector-not-found",
    )


# --- absences ---


async def test_absences_are_recorded_listed_and_removed(client: httpx.AsyncClient) -> None:
    amira = await create_member(client)
    path = f"/v1/collectors/{amira['id']}/absences"
    leave = await client.post(
        path, json={"first_day": "2026-12-21", "last_day": "2027-01-01", "reason": "leave"}
    )
    assert leave.status_code == 201, leave.text
    assert leave.json()["collector_id"] == amira["id"]
    # Overlapping absences are both kept: sick during the leave.
    sick = await client.post(
        path, json={"first_day": "2026-12-22", "last_day": "2026-12-22", "reason": "sickness"}
    )
    training = await client.post(
        path, json={"first_day": "2026-12-07", "last_day": "2026-12-08", "reason": "training"}
    )
    listed = (await client.get(path)).json()["items"]
    assert [(a["first_day"], a["reason"]) for a in listed] == [
        ("2026-12-07", "training"),
        ("2026-12-21", "leave"),
        ("2026-12-22", "sickness"),
    ]
    assert listed[1] == leave.json()

    removed = await client.delete(f"{path}/{sick.json()['id']}")
    assert removed.status_code == 204
    assert removed.content == b""
    remaining = {a["id"] for a in (await client.get(path)).json()["items"]}
    assert remaining == {leave.json()["id"], training.json()["id"]}
    assert_problem(await client.delete(f"{path}/{sick.json()['id']}"), 404, "absence-not-found")


async def test_an_absence_is_only_removed_through_its_own_collector(
    client: httpx.AsyncClient,
) -> None:
    amira = await create_member(client)
    tom = await create_member(client, employee_ref="E2", name="Tom Price")
    absence = await client.post(
        f"/v1/collectors/{amira['id']}/absences",
        json={"first_day": "2026-12-21", "last_day": "2026-12-21", "reason": "other"},
    )
    wrong = await client.delete(f"/v1/collectors/{tom['id']}/absences/{absence.json()['id']}")
    assert_problem(wrong, 404, "absence-not-found")
    assert len((await client.get(f"/v1/collectors/{amira['id']}/absences")).json()["items"]) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"first_day": "2026-12-22", "last_day": "2026-12-21", "reason": "leave"},
        {"first_day": "2026-12-21", "last_day": "2026-12-22", "reason": "holiday"},
        {"first_day": "2026-12-21", "reason": "leave"},
        {"first_day": "21/12/2026", "last_day": "2026-12-22", "reason": "leave"},
        {"first_day": "2026-12-21", "last_day": "2026-12-22", "reason": "leave", "note": "x"},
    ],
)
async def test_an_invalid_absence_is_refused_with_a_problem(
    client: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    amira = await create_member(client)
    path = f"/v1/collectors/{amira['id']}/absences"
    assert_problem(await client.post(path, json=payload), 422, "validation-error")
    assert (await client.get(path)).json()["items"] == []


async def test_absences_of_an_unknown_collector_are_404(client: httpx.AsyncClient) -> None:
    path = f"/v1/collectors/{uuid.uuid4()}/absences"
    assert_problem(await client.get(path), 404, "collector-not-found")
    body = {"first_day": "2026-12-21", "last_day": "2026-12-21", "reason": "leave"}
    assert_problem(await client.post(path, json=body), 404, "collector-not-found")
    assert_problem(await client.delete(f"{path}/{uuid.uuid4()}"), 404, "collector-not-found")


# --- access and docs ---


async def test_visit_readers_read_rosters_and_only_admins_change_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team = await create_team(client)
    operations = bearer(await issue_key(app, ["visits:read"], name="ops"))
    # A collector's credential is bound to a team and still reads every team.
    collector = bearer(await issue_key(app, ["visits:read"], team_id=uuid.uuid4(), name="c"))
    for headers in (operations, collector):
        listed = await client.get("/v1/teams", headers=headers)
        assert [t["id"] for t in listed.json()["items"]] == [team["id"]]
        refused = await client.patch(
            f"/v1/teams/{team['id']}", json={"active": False}, headers=headers
        )
        assert_problem(refused, 403, "forbidden")
    assert (await client.get(f"/v1/teams/{team['id']}")).json()["active"] is True


async def test_every_route_is_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    routes = [
        (path, method)
        for path, operations in spec["paths"].items()
        if path.startswith(("/v1/teams", "/v1/collectors"))
        for method in operations
    ]
    assert len(routes) == 11
    for path, method in routes:
        operation = spec["paths"][path][method]
        assert operation["summary"], (path, method)
        assert operation["description"], (path, method)
