"""Schemathesis over case-api's OpenAPI document, in-process against the real ASGI app.

Every operation gets the examples its document gives, Schemathesis' boundary cases, and 200
generated requests (valid and invalid), all carrying an API key with every scope. A response
fails the test when it is a 5xx, has a status code or content type the operation does not
document, or has a body that does not match the documented schema. Generation is
derandomized, so CI sends the same requests on every run (about a minute on two cores).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from doorstep_case_api.cli import MIGRATIONS
from doorstep_case_api.main import create_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_shared.security.principal import ALL_SCOPES
from tests.case_api.test_intake_api import SNAPSHOT
from tests.support.apps import bearer, issue_key, migrate
from tests.support.infra import sqlite_url

pytestmark = pytest.mark.fuzz

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@schemathesis.serializer("application/x-ndjson")
def _one_record_per_line(ctx: Any, value: Any) -> bytes:
    # The batch intake reads one JSON record per line; a generated value is one such line.
    return (json.dumps(value, default=str) + "\n").encode()


CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            # The document has no links to chain operations with.
            "stateful": {"enabled": False},
        },
        # Valid and invalid requests; the credential is the test's, never generated.
        "generation": {"mode": "all", "with-security-parameters": False},
    }
)

# The document the app serves at /openapi.json (building an app opens no database). Left out:
# /readyz, which answers 503 without a broker (what it is for), a status its documented
# responses do not list yet (shared/doorstep_shared/health.py, reported, not changed here).
schema = schemathesis.openapi.from_dict(
    create_app(
        CaseApiSettings(database_url="sqlite+aiosqlite://", background_workers_enabled=False)
    ).openapi(),
    config=CONFIG,
).exclude(path="/readyz")

# One date in five is an end of the calendar: date arithmetic there overflows.
CALENDAR_EDGES = ["0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"]
schemathesis.openapi.format(
    "date",
    st.integers(0, 4).flatmap(
        lambda n: st.sampled_from(CALENDAR_EDGES) if n == 0 else st.dates().map(str)
    ),
)

# Ids of the objects the fixture creates, by path parameter name.
SEEDED: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Generated ids, or the id of a real object: both the 404 and the deeper paths."""
    variants = [path_parameters]
    for name in path_parameters or {}:
        variants += [{**(path_parameters or {}), name: value} for value in SEEDED.get(name, ())]
    return st.sampled_from(variants)


@dataclass(frozen=True)
class Target:
    app: FastAPI
    headers: dict[str, str]


@pytest.fixture(scope="module")
async def target(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    url = sqlite_url(tmp_path_factory.mktemp("fuzz") / "case_api.db")
    await migrate(MIGRATIONS, url)
    app = create_app(CaseApiSettings(database_url=url, background_workers_enabled=False))
    today = date.today()
    async with app.router.lifespan_context(app):
        headers = bearer(await issue_key(app, ALL_SCOPES, name="fuzz"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
        ) as http:
            case_ids = []
            for account_id in ("ACC-1", "ACC-2"):
                opened = await http.put(f"/v1/accounts/{account_id}/delinquency", json=SNAPSHOT)
                assert opened.status_code == 201, opened.text
                case_ids.append(opened.json()["case"]["id"])
            proposed = await http.post(
                f"/v1/cases/{case_ids[0]}/arrangements",
                json={
                    "kind": "deferral",
                    "amount": "1259.75",
                    "currency": "CNY",
                    "deferred_to": (today + timedelta(days=30)).isoformat(),
                    "proposed_by": "agent-017",
                },
            )
            assert proposed.status_code == 201, proposed.text
            held = await http.post(
                f"/v1/cases/{case_ids[1]}/holds",
                json={"hold_type": "dispute", "reason": "Not my loan", "placed_by": "ops-anna"},
            )
            assert held.status_code == 201, held.text
    SEEDED.update(
        account_id=["ACC-1", "ACC-2"],
        case_id=case_ids,
        arrangement_id=[proposed.json()["id"]],
        hold_id=[held.json()["id"]],
    )
    # Schemathesis starts the lifespan again in its own event loop for each operation's test,
    # and ends it after the test.
    yield Target(app, headers)
    SEEDED.clear()


@schema.parametrize()
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api(case: schemathesis.Case[Any], target: Target) -> None:
    if case.meta is not None and case.meta.phase.name == "examples":
        # The document's examples are drawn at collection, before the fixture made anything:
        # send them to the real objects.
        for name in case.path_parameters or {}:
            if name in SEEDED:
                case.path_parameters[name] = SEEDED[name][0]
    response = case.call_and_validate(app=target.app, headers=target.headers, checks=CHECKS)
    # Documented for every operation, but never right here: the key has every scope.
    assert response.status_code not in (401, 403, 429), response.text
