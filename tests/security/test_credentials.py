"""API keys and JWTs over the real app: expiry, revocation, forged and misaddressed tokens,
team-bound collectors, rate limits, body limits and production-mode refusal."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from sqlalchemy import select

from doorstep_case_api.cli import MIGRATIONS as CASE_API_MIGRATIONS
from doorstep_case_api.cli import main as case_api_cli
from doorstep_case_api.db import audit_table
from doorstep_case_api.main import create_app as case_api_app
from doorstep_case_api.settings import CaseApiSettings
from doorstep_notifier.main import create_app as notifier_app
from doorstep_notifier.settings import NotifierSettings
from doorstep_scheduler.cli import MIGRATIONS as SCHEDULER_MIGRATIONS
from doorstep_scheduler.main import create_app as scheduler_app
from doorstep_scheduler.settings import SchedulerSettings
from doorstep_scheduler.visits.models import Visit
from doorstep_shared.clock import utc_now
from doorstep_shared.db.engine import create_engine
from doorstep_shared.security.api_keys import ApiKeyRepository
from doorstep_shared.settings import InsecureSettingsError
from tests.support.apps import app_client, bearer, issue_key, migrate
from tests.support.infra import sqlite_url

ISSUER = "https://idp.bank.test/"
AUDIENCE = "doorstep"


class Jwks:
    """A real HTTP server on loopback serving a JWKS, standing in for the bank's provider."""

    def __init__(self) -> None:
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.requests = 0
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec_key.public_key()))
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa_key.public_key()))
        self.document = {
            "keys": [{**ec_jwk, "kid": "ec-1", "alg": "ES256"}, {**rsa_jwk, "kid": "rsa-1"}]
        }

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "alice",
            "iat": now,
            "exp": now + 300,
            "scope": "cases:read",
        }
        kid = overrides.pop("kid", "ec-1")
        key = overrides.pop("key", self.ec_key)
        algorithm = overrides.pop("algorithm", "ES256")
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def jwks() -> Iterator[tuple[Jwks, str]]:
    provider = Jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider.requests += 1
            body = json.dumps(provider.document).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


@pytest.fixture
async def case_api(
    tmp_path: Path, jwks: tuple[Jwks, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, Jwks]]:
    url = sqlite_url(tmp_path / "case_api.db")
    await migrate(CASE_API_MIGRATIONS, url)
    settings = CaseApiSettings(
        database_url=url,
        background_workers_enabled=False,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_jwks_url=jwks[1],
        api_key_cache_seconds=0,
    )
    app = case_api_app(settings)
    async with app_client(app, scopes=None) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http, jwks[0]


async def test_a_jwt_from_the_provider_authenticates_with_its_scopes(
    case_api: tuple[httpx.AsyncClient, Jwks],
) -> None:
    http, provider = case_api
    assert (await http.get("/v1/cases", headers=bearer(provider.token()))).status_code == 200
    rsa_token = provider.token(kid="rsa-1", key=provider.rsa_key, algorithm="RS256")
    assert (await http.get("/v1/cases", headers=bearer(rsa_token))).status_code == 200
    as_list = provider.token(scope=["cases:read", "cases:write"])
    assert (await http.get("/v1/cases", headers=bearer(as_list))).status_code == 200
    # The token's scopes are all it grants.
    denied = await http.put(
        "/v1/business-date", json={"business_date": "2026-12-01"}, headers=bearer(as_list)
    )
    assert denied.status_code == 403
    assert denied.json()["type"].endswith("/forbidden")
    assert provider.requests == 1  # the JWKS is cached


@pytest.mark.parametrize(
    "case",
    ["wrong-audience", "wrong-issuer", "expired", "unknown-kid", "other-key", "hs256", "no-sub"],
)
async def test_jwts_that_must_be_refused(
    case_api: tuple[httpx.AsyncClient, Jwks], case: str
) -> None:
    http, provider = case_api
    stranger = ec.generate_private_key(ec.SECP256R1())
    public_pem = provider.document["keys"][0]["x"]
    token = {
        "wrong-audience": lambda: provider.token(aud="another-system"),
        "wrong-issuer": lambda: provider.token(iss="https://evil.test/"),
        "expired": lambda: provider.token(exp=int(time.time()) - 120, iat=int(time.time()) - 900),
        "unknown-kid": lambda: provider.token(kid="nope"),
        "other-key": lambda: provider.token(key=stranger),
        # The classic confusion: a symmetric signature keyed with public material.
        "hs256": lambda: provider.token(key=public_pem.encode() * 2, algorithm="HS256"),
        "no-sub": lambda: provider.token(sub=None),
    }[case]()
    response = await http.get("/v1/cases", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_api_keys_expire_and_can_be_revoked(
    case_api: tuple[httpx.AsyncClient, Jwks],
) -> None:
    http, _provider = case_api
    app = http.app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as session, session.begin():
        keys = ApiKeyRepository(session, app.state.api_key_table)
        expired = await keys.issue(
            name="old",
            scopes=["cases:read"],
            team_id=None,
            expires_at=utc_now() - timedelta(seconds=1),
            now=utc_now() - timedelta(days=1),
        )
    assert (await http.get("/v1/cases", headers=bearer(expired.token))).status_code == 401
    token = await issue_key(app, ["cases:read"])
    assert (await http.get("/v1/cases", headers=bearer(token))).status_code == 200
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert (await http.get("/v1/cases", headers=bearer(tampered))).status_code == 401
    async with app.state.sessionmaker() as session, session.begin():
        assert await ApiKeyRepository(session, app.state.api_key_table).revoke(
            token[4:12], utc_now()
        )
    assert (await http.get("/v1/cases", headers=bearer(token))).status_code == 401


def test_the_cli_creates_lists_and_revokes_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path / "case_api.db")
    monkeypatch.setenv("CASE_API_DATABASE_URL", url)
    assert case_api_cli(["migrate"]) == 0
    assert (
        case_api_cli(["api-keys", "create", "--name", "core-banking", "--scope", "accounts:write"])
        == 0
    )
    created = capsys.readouterr()
    token = created.out.strip()
    assert token.startswith("dsk_")
    assert "\n" not in token  # only the key on stdout: scripts capture it
    prefix = token[4:12]
    assert prefix in created.err
    assert case_api_cli(["api-keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert prefix in listed
    assert "active" in listed
    assert token[13:] not in listed  # the secret is never shown again
    assert case_api_cli(["api-keys", "revoke", prefix]) == 0
    assert case_api_cli(["api-keys", "revoke", prefix]) == 1
    capsys.readouterr()
    assert case_api_cli(["api-keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        case_api_cli(["api-keys", "create", "--name", "x", "--scope", "root"])
    assert bad.value.code == 2
    # Issuing and revoking are decisions: both are in the audit chain, which verifies.
    actions = asyncio.run(audit_actions(url))
    assert actions == ["api_key.created", "api_key.revoked"]
    assert case_api_cli(["audit", "verify"]) == 0
    assert "intact, 2 entries" in capsys.readouterr().out


async def audit_actions(url: str) -> list[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(select(audit_table.c.action).order_by(audit_table.c.id))
        actions = [row.action for row in rows]
    await engine.dispose()
    return actions


async def test_a_collector_sees_only_their_own_teams_visits(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "scheduler.db")
    await migrate(SCHEDULER_MIGRATIONS, url)
    app = scheduler_app(SchedulerSettings(database_url=url, background_workers_enabled=False))
    async with app_client(app, scopes=["admin", "visits:read"]) as admin:
        teams = []
        for name in ("Team A", "Team B"):
            created = await admin.post(
                "/v1/teams",
                json={"name": name, "timezone": "Europe/London", "max_visits_per_day": 6},
            )
            assert created.status_code == 201, created.text
            teams.append(uuid.UUID(created.json()["id"]))
        visits: dict[uuid.UUID, uuid.UUID] = {}
        async with app.state.sessionmaker() as session, session.begin():
            for team in teams:
                visit = Visit(
                    id=uuid.uuid4(),
                    case_id=uuid.uuid4(),
                    trigger_event_id=uuid.uuid4().hex,
                    status="scheduled",
                    team_id=team,
                    window_start=utc_now() + timedelta(days=1, hours=len(visits)),
                    window_end=utc_now() + timedelta(days=1, hours=len(visits) + 1),
                    created_at=utc_now(),
                )
                session.add(visit)
                visits[team] = visit.id
        collector = bearer(await issue_key(app, ["visits:read"], team_id=teams[0]))
        own = await admin.get(f"/v1/visits/{visits[teams[0]]}", headers=collector)
        assert own.status_code == 200
        other = await admin.get(f"/v1/visits/{visits[teams[1]]}", headers=collector)
        assert other.status_code == 404
        listed = (await admin.get("/v1/visits", headers=collector)).json()["items"]
        assert [item["id"] for item in listed] == [str(visits[teams[0]])]
        # Operations (no team) see both.
        assert len((await admin.get("/v1/visits")).json()["items"]) == 2


async def test_past_the_rate_limit_a_credential_gets_429_with_retry_after(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "case_api.db")
    await migrate(CASE_API_MIGRATIONS, url)
    settings = CaseApiSettings(
        database_url=url,
        background_workers_enabled=False,
        rate_limit_per_minute=60,
        rate_limit_burst=3,
    )
    app = case_api_app(settings)
    async with app_client(app, scopes=["cases:read"]) as http:
        answers = [(await http.get("/v1/cases")).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = await http.get("/v1/cases")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["type"].endswith("/too-many-requests")
        # Another credential has its own bucket.
        other = bearer(await issue_key(app, ["cases:read"]))
        assert (await http.get("/v1/cases", headers=other)).status_code == 200


async def test_oversized_bodies_are_refused_before_they_are_read(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "case_api.db")
    await migrate(CASE_API_MIGRATIONS, url)
    settings = CaseApiSettings(
        database_url=url, background_workers_enabled=False, max_request_body_bytes=2048
    )
    app = case_api_app(settings)
    async with app_client(app) as http:
        big = {"as_of_date": "2026-11-28", "padding": "x" * 4096}
        declared = await http.put("/v1/accounts/A-1/delinquency", json=big)
        assert declared.status_code == 413
        assert declared.json()["type"].endswith("/payload-too-large")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b" " * 1024  # no Content-Length: counted as it streams

        streamed = await http.put(
            "/v1/accounts/A-1/delinquency",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        # Under the limit the request is judged on its merits.
        small = await http.put("/v1/accounts/A-1/delinquency", json={"as_of_date": "x"})
        assert small.status_code == 422


def test_production_mode_refuses_default_secrets(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "x.db")
    with pytest.raises(InsecureSettingsError) as refused:
        case_api_app(CaseApiSettings(database_url=url, environment="production"))
    assert "field_encryption_keys" in str(refused.value)
    with pytest.raises(InsecureSettingsError) as refused_notifier:
        notifier_app(NotifierSettings(database_url=url, environment="production"))
    assert "case_api_token" in str(refused_notifier.value)
    # Development mode starts with the local defaults.
    assert case_api_app(CaseApiSettings(database_url=url)) is not None
