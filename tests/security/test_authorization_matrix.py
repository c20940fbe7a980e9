"""Every route × every role: 401 without a credential, 403 without the scope, through with it.

The routes come from the apps themselves. ``EXPECTED`` is the reviewed rule of each route: a
route added without a line here fails ``test_every_route_has_a_reviewed_rule``, and a route
whose guard drifts from its line fails too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from doorstep_case_api.cli import MIGRATIONS as CASE_API_MIGRATIONS
from doorstep_case_api.main import create_app as case_api_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_notifier.cli import MIGRATIONS as NOTIFIER_MIGRATIONS
from doorstep_notifier.main import create_app as notifier_app
from doorstep_notifier.settings import NotifierSettings
from doorstep_scheduler.cli import MIGRATIONS as SCHEDULER_MIGRATIONS
from doorstep_scheduler.main import create_app as scheduler_app
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_shared.security.guard import PUBLIC_PATHS, api_routes, guards_of
from doorstep_shared.security.principal import Scope
from tests.support.apps import bearer, issue_key, migrate
from tests.support.infra import sqlite_url

A, C = Scope, "any"  # "any": one of the scopes is enough

# (service, method, path) -> (mode, scopes). mode "all": every scope is needed.
EXPECTED: dict[tuple[str, str, str], tuple[str, set[str] | frozenset[str]]] = {
    ("case-api", "PUT", "/v1/accounts/{account_id}/delinquency"): ("all", {A.ACCOUNTS_WRITE}),
    ("case-api", "POST", "/v1/delinquency-batches"): ("all", {A.ACCOUNTS_WRITE}),
    ("case-api", "POST", "/v1/accounts/{account_id}/payments"): ("all", {A.ACCOUNTS_WRITE}),
    ("case-api", "GET", "/v1/cases"): ("all", {A.CASES_READ}),
    ("case-api", "GET", "/v1/cases/{case_id}"): ("all", {A.CASES_READ}),
    ("case-api", "POST", "/v1/cases/lookup"): ("all", {A.CASES_READ, A.PII_READ}),
    ("case-api", "GET", "/v1/cases/{case_id}/contact"): (
        C,
        {A.PII_READ, A.CASES_READ, A.CONTACT_NOTIFY, A.CONTACT_VISIT},
    ),
    ("case-api", "POST", "/v1/cases/{case_id}/promises"): ("all", {A.CASES_WRITE}),
    ("case-api", "GET", "/v1/cases/{case_id}/promises"): ("all", {A.CASES_READ}),
    ("case-api", "POST", "/v1/cases/{case_id}/arrangements"): ("all", {A.CASES_WRITE}),
    ("case-api", "GET", "/v1/cases/{case_id}/arrangements"): ("all", {A.CASES_READ}),
    # Above the policy threshold approval also needs arrangements:approve (see test_arrangements).
    ("case-api", "POST", "/v1/arrangements/{arrangement_id}/approve"): ("all", {A.CASES_WRITE}),
    ("case-api", "POST", "/v1/arrangements/{arrangement_id}/reject"): ("all", {A.CASES_WRITE}),
    ("case-api", "POST", "/v1/cases/{case_id}/holds"): ("all", {A.CASES_WRITE}),
    ("case-api", "GET", "/v1/cases/{case_id}/holds"): ("all", {A.CASES_READ}),
    ("case-api", "POST", "/v1/cases/{case_id}/holds/{hold_id}/lift"): ("all", {A.CASES_WRITE}),
    ("case-api", "PUT", "/v1/cases/{case_id}/vulnerability"): ("all", {A.CASES_WRITE}),
    ("case-api", "DELETE", "/v1/cases/{case_id}/vulnerability"): ("all", {A.CASES_WRITE}),
    ("case-api", "PUT", "/v1/cases/{case_id}/visit-terms"): ("all", {A.CASES_WRITE}),
    ("case-api", "GET", "/v1/cases/{case_id}/legal-referral"): ("all", {A.CASES_READ}),
    ("case-api", "POST", "/v1/cases/{case_id}/legal-referral/confirm"): ("all", {A.CASES_WRITE}),
    ("case-api", "POST", "/v1/cases/{case_id}/legal-referral/return"): ("all", {A.CASES_WRITE}),
    ("case-api", "GET", "/v1/portfolio/summary"): ("all", {A.CASES_READ}),
    ("case-api", "GET", "/v1/business-date"): ("all", {A.CASES_READ}),
    ("case-api", "PUT", "/v1/business-date"): ("all", {A.ADMIN}),
    ("case-api", "DELETE", "/v1/business-date"): ("all", {A.ADMIN}),
    ("case-api", "POST", "/v1/evaluations"): ("all", {A.ADMIN}),
    ("notifier", "GET", "/v1/notifications"): ("all", {A.CASES_READ}),
    ("notifier", "GET", "/v1/notifications/{notification_id}"): ("all", {A.CASES_READ}),
    # Previews show the customer's name with the notice: personal data.
    ("notifier", "GET", "/v1/notifications/{notification_id}/preview"): (
        "all",
        {A.CASES_READ, A.PII_READ},
    ),
    ("notifier", "GET", "/v1/cases/{case_id}/notice-preview"): ("all", {A.CASES_READ, A.PII_READ}),
    # The SMS gateway authenticates with its own shared secret (tested in tests/notifier).
    ("notifier", "POST", "/v1/providers/sms/receipts"): ("gateway", frozenset()),
    ("notifier", "POST", "/v1/providers/sms/opt-outs"): ("gateway", frozenset()),
    ("notifier", "POST", "/v1/cases/{case_id}/opt-outs"): ("all", {A.CASES_WRITE}),
    ("notifier", "GET", "/v1/cases/{case_id}/opt-outs"): ("all", {A.CASES_READ}),
    ("scheduler", "GET", "/v1/visits"): ("all", {A.VISITS_READ}),
    ("scheduler", "GET", "/v1/visits/{visit_id}"): ("all", {A.VISITS_READ}),
    # The field API: a collector's credential is further limited to its own team.
    ("scheduler", "GET", "/v1/visits/agenda"): ("all", {A.VISITS_READ}),
    ("scheduler", "POST", "/v1/visits/{visit_id}/check-in"): ("all", {A.VISITS_WRITE}),
    ("scheduler", "POST", "/v1/visits/{visit_id}/outcome"): ("all", {A.VISITS_WRITE}),
    # Staff rosters: any visits:read credential (a collector's too) reads; admin manages.
    ("scheduler", "POST", "/v1/visits/{visit_id}/replan"): ("all", {A.ADMIN}),
    ("scheduler", "GET", "/v1/plans"): ("all", {A.VISITS_READ}),
    ("scheduler", "POST", "/v1/plans"): ("all", {A.ADMIN}),
    ("scheduler", "GET", "/v1/teams"): ("all", {A.VISITS_READ}),
    ("scheduler", "POST", "/v1/teams"): ("all", {A.ADMIN}),
    ("scheduler", "GET", "/v1/teams/{team_id}"): ("all", {A.VISITS_READ}),
    ("scheduler", "PATCH", "/v1/teams/{team_id}"): ("all", {A.ADMIN}),
    ("scheduler", "GET", "/v1/collectors"): ("all", {A.VISITS_READ}),
    ("scheduler", "POST", "/v1/collectors"): ("all", {A.ADMIN}),
    ("scheduler", "GET", "/v1/collectors/{collector_id}"): ("all", {A.VISITS_READ}),
    ("scheduler", "PATCH", "/v1/collectors/{collector_id}"): ("all", {A.ADMIN}),
    ("scheduler", "GET", "/v1/collectors/{collector_id}/absences"): ("all", {A.VISITS_READ}),
    ("scheduler", "POST", "/v1/collectors/{collector_id}/absences"): ("all", {A.ADMIN}),
    ("scheduler", "DELETE", "/v1/collectors/{collector_id}/absences/{absence_id}"): (
        "all",
        {A.ADMIN},
    ),
}

ROLES: dict[str, frozenset[str]] = {
    "core-banking": frozenset({A.ACCOUNTS_WRITE}),
    "operations": frozenset({A.CASES_READ, A.CASES_WRITE}),
    "supervisor": frozenset({A.CASES_READ, A.CASES_WRITE, A.ARRANGEMENTS_APPROVE}),
    "collector": frozenset({A.VISITS_READ, A.VISITS_WRITE}),
    "privacy-officer": frozenset({A.CASES_READ, A.PII_READ}),
    "admin": frozenset({A.ADMIN}),
    "notifier-service": frozenset({A.CONTACT_NOTIFY}),
    "scheduler-service": frozenset({A.CONTACT_VISIT}),
    "no-scopes": frozenset(),
}

Factory = Callable[[str], FastAPI]
APPS: dict[str, tuple[Factory, Path]] = {
    "case-api": (
        lambda url: case_api_app(
            CaseApiSettings(database_url=url, background_workers_enabled=False)
        ),
        CASE_API_MIGRATIONS,
    ),
    "notifier": (
        lambda url: notifier_app(
            NotifierSettings(database_url=url, background_workers_enabled=False)
        ),
        NOTIFIER_MIGRATIONS,
    ),
    "scheduler": (
        lambda url: scheduler_app(
            SchedulerSettings(database_url=url, background_workers_enabled=False)
        ),
        SCHEDULER_MIGRATIONS,
    ),
}


def routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, path, route)
        for path, route in api_routes(app)
        if path not in PUBLIC_PATHS
        for method in sorted(route.methods or ())
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path)


def allowed(rule: tuple[str, set[str] | frozenset[str]], scopes: frozenset[str]) -> bool:
    mode, needed = rule
    return bool(needed & scopes) if mode == C else needed <= scopes


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_route_has_a_reviewed_rule(service: str, tmp_path: Path) -> None:
    factory, _migrations = APPS[service]
    app = factory(sqlite_url(tmp_path / "unused.db"))
    found = {(service, method, path) for method, path, _route in routes(app)}
    expected = {key for key in EXPECTED if key[0] == service}
    assert found - expected == set(), "routes without a reviewed rule in EXPECTED"
    assert expected - found == set(), "rules for routes that no longer exist"
    for method, path, route in routes(app):
        mode, scopes = EXPECTED[(service, method, path)]
        guards = guards_of(route)
        if mode == "gateway":
            assert guards == [], f"{path} is authenticated by the gateway secret"
            continue
        assert len(guards) == 1, f"{method} {path} has {len(guards)} guards"
        assert guards[0].scopes == scopes, f"{method} {path} scopes drifted"
        assert guards[0].any_of == (mode == C), f"{method} {path} mode drifted"
        described = app.openapi()["paths"][path][method.lower()]
        assert "**Requires:**" in described["description"]
        assert {"401", "403", "429"} <= set(described["responses"])


@pytest.fixture(params=sorted(APPS))
async def service_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, FastAPI, httpx.AsyncClient, dict[str, str]]]:
    service = request.param
    factory, migrations = APPS[service]
    url = sqlite_url(tmp_path / f"{service}.db")
    await migrate(migrations, url)
    app = factory(url)
    async with app.router.lifespan_context(app):
        tokens = {role: await issue_key(app, scopes, name=role) for role, scopes in ROLES.items()}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield service, app, http, tokens


async def test_every_route_answers_each_role_by_its_rule(
    service_app: tuple[str, FastAPI, httpx.AsyncClient, dict[str, str]],
) -> None:
    service, app, http, tokens = service_app
    checked = 0
    for method, template, _route in routes(app):
        rule = EXPECTED[(service, method, template)]
        if rule[0] == "gateway":
            continue
        path = concrete(template)
        anonymous = await http.request(method, path)
        assert anonymous.status_code == 401, f"{method} {template} without a credential"
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["www-authenticate"] == "Bearer"
        forged = await http.request(method, path, headers=bearer("dsk_deadbeef_" + "x" * 43))
        assert forged.status_code == 401, f"{method} {template} with a forged key"
        for role, scopes in ROLES.items():
            answer = await http.request(method, path, headers=bearer(tokens[role]))
            if allowed(rule, scopes):
                assert answer.status_code not in (401, 403), (
                    f"{role} refused on {method} {template}: {answer.status_code}"
                )
            else:
                assert answer.status_code == 403, (
                    f"{role} let through on {method} {template}: {answer.status_code}"
                )
            checked += 1
    assert checked >= len(ROLES) * 2
