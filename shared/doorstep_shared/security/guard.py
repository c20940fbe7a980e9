"""Who may call what: every route under /v1 names its scopes with ``require``.

``require(Scope.CASES_READ)`` authenticates the bearer credential (an API key or a JWT),
applies the caller's rate limit, and checks the scopes: 401 without a valid credential, 429
past the limit, 403 without a scope. The principal is returned to the endpoint and kept on
``request.state.principal``. ``assert_every_route_guarded`` refuses to build an app with a
route that names no rule, so a new endpoint cannot be public by accident.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from doorstep_shared.clock import utc_now
from doorstep_shared.security.api_keys import (
    ApiKeyRecord,
    ApiKeyRepository,
    hash_token,
    split_token,
)
from doorstep_shared.security.jwt_bearer import JwksSource, JwtVerifier
from doorstep_shared.security.principal import Principal
from doorstep_shared.security.ratelimit import RateLimiter
from doorstep_shared.settings import ServiceSettings

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc"})

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API key (`dsk_...`) or a JWT from the bank's identity provider.",
)


class Authenticator:
    """Turns a bearer token into a principal; API keys are cached briefly per token."""

    _MAX_CACHED = 10_000

    def __init__(
        self,
        settings: ServiceSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        api_key_table: Table,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._api_keys = api_key_table
        self._cache_seconds = settings.api_key_cache_seconds
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._jwt: JwtVerifier | None = None
        if settings.jwt_issuer:
            self._jwt = JwtVerifier(
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                jwks=JwksSource(url=settings.jwt_jwks_url, file=settings.jwt_jwks_file),
                scope_claim=settings.jwt_scope_claim,
                team_claim=settings.jwt_team_claim,
            )

    async def authenticate(self, token: str) -> Principal | None:
        if split_token(token) is not None:
            record = await self._api_key(token)
            return record.principal() if record and record.active_at(utc_now()) else None
        if self._jwt is not None:
            return await self._jwt.verify(token)
        return None

    async def _api_key(self, token: str) -> ApiKeyRecord | None:
        # Revocation takes effect within api_key_cache_seconds; expiry is checked every time.
        digest = hash_token(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._sessionmaker() as session:
            record = await ApiKeyRepository(session, self._api_keys).verify(token)
        if len(self._cache) >= self._MAX_CACHED:
            self._cache.clear()
        self._cache[digest] = (now + self._cache_seconds, record)
        return record


class ScopeGuard:
    """A dependency that lets through only callers holding every one of ``scopes``.

    With ``any_of=True`` one of them is enough (an endpoint that shapes its answer to the
    scope, such as contact data).
    """

    def __init__(self, *scopes: str, any_of: bool = False) -> None:
        self.scopes = frozenset(scopes)
        self.any_of = any_of

    def allows(self, principal: Principal) -> bool:
        if self.any_of:
            return bool(self.scopes & principal.scopes)
        return principal.has_all(self.scopes)

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> Principal:
        principal = getattr(request.state, "principal", None)
        if principal is None:
            principal = await _authenticate(request, credentials)
            request.state.principal = principal
        if not self.allows(principal):
            needed = ", ".join(sorted(self.scopes - principal.scopes))
            kind = "one of the scopes" if self.any_of else "the scope(s)"
            raise HTTPException(403, f"this credential lacks {kind}: {needed}")
        return principal


async def _authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    limiter: RateLimiter = request.app.state.rate_limiter
    authenticator: Authenticator = request.app.state.authenticator
    principal = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        principal = await authenticator.authenticate(credentials.credentials)
    if principal is None:
        # Failed attempts are limited per client address, which slows guessing.
        client = request.client.host if request.client else "unknown"
        _limit(limiter, f"anonymous:{client}")
        raise HTTPException(
            401, "a valid credential is required", headers={"WWW-Authenticate": "Bearer"}
        )
    _limit(limiter, principal.subject)
    return principal


def _limit(limiter: RateLimiter, who: str) -> None:
    retry_after = limiter.take(who)
    if retry_after is not None:
        raise HTTPException(
            429, "too many requests for this credential", headers={"Retry-After": str(retry_after)}
        )


def require(*scopes: str) -> Any:
    """``Depends`` for a route's ``dependencies=[...]`` (or ``Annotated`` parameter)."""
    return Depends(ScopeGuard(*scopes))


def require_any(*scopes: str) -> Any:
    return Depends(ScopeGuard(*scopes, any_of=True))


def route_guards(dependant: Dependant) -> Iterator[ScopeGuard]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, ScopeGuard):
            yield sub.call
        yield from route_guards(sub)


def guards_of(route: APIRoute) -> list[ScopeGuard]:
    """The guards a route names itself (in ``dependencies=`` or its parameters)."""
    return list(route_guards(route.dependant))


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every API route, routers included (FastAPI keeps included
    routers as objects in ``app.routes``; ``iter_route_contexts`` resolves them)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.append((context.path or route.path, route))
    return found


def required_scopes(route: APIRoute) -> frozenset[str] | None:
    """Every scope the route names, or None when it names no rule at all."""
    guards = guards_of(route)
    if not guards:
        return None
    return frozenset().union(*(guard.scopes for guard in guards))


def assert_every_route_guarded(app: FastAPI, exempt: frozenset[str] = frozenset()) -> None:
    for path, route in api_routes(app):
        if path in PUBLIC_PATHS | exempt:
            continue
        if required_scopes(route) is None:
            raise RuntimeError(f"route {sorted(route.methods or ())} {path} names no access rule")


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_TOO_LARGE = "The request body is larger than this service accepts."
_AUTH_RESPONSES = {
    "401": "No valid credential (API key or JWT).",
    "403": "The credential lacks a scope this operation needs.",
    "429": "Too many requests for this credential; see Retry-After.",
}


def install_scope_docs(app: FastAPI) -> None:
    """Each operation's OpenAPI entry says which scopes it needs, and declares 401/403/429."""
    rules: dict[tuple[str, str], list[ScopeGuard]] = {}
    for path, route in api_routes(app):
        if guards := guards_of(route):
            for method in route.methods or ():
                rules[(path, method.lower())] = guards
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for (path, method), guards in rules.items():
            operation = schema.get("paths", {}).get(path, {}).get(method)
            if operation is None:
                continue
            for guard in guards:
                names = [f"`{scope}`" for scope in sorted(guard.scopes)]
                joined = (" or " if guard.any_of else " and ").join(names)
                note = f"**Requires:** {joined or 'any valid credential'}."
                if note not in operation.get("description", ""):
                    operation["description"] = f"{operation.get('description', '')}\n\n{note}"
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": _TOO_LARGE, **_PROBLEM})
            for status, text in _AUTH_RESPONSES.items():
                responses.setdefault(
                    status, {"description": text, "content": {"application/problem+json": {}}}
                )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
