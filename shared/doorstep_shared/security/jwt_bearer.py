"""OAuth2 bearer JWTs from the bank's identity provider (issuer, audience and JWKS by setting).

The JWKS comes from a file (closed networks, and the local stack) or a URL, fetched with httpx
and cached; an unknown ``kid`` refetches it, at most once per ``refetch_interval``, so a key
rotation at the provider is picked up without a restart and a flood of forged kids cannot
hammer the provider.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from doorstep_shared.security.principal import Principal

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")


class JwksSource:
    def __init__(
        self,
        *,
        url: str | None,
        file: Path | None,
        cache_seconds: float = 300.0,
        refetch_interval: float = 30.0,
    ) -> None:
        if (url is None) == (file is None):
            raise ValueError("give exactly one of a JWKS URL or a JWKS file")
        self._url = url
        self._file = file
        self._cache_seconds = cache_seconds
        self._refetch_interval = refetch_interval
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> PyJWK | None:
        now = time.monotonic()
        stale = now - self._fetched_at > self._cache_seconds
        unknown = kid not in self._keys and now - self._fetched_at > self._refetch_interval
        if stale or unknown:
            async with self._lock:
                if time.monotonic() - self._fetched_at > min(
                    self._refetch_interval, self._cache_seconds
                ):
                    await self._load()
        return self._keys.get(kid)

    async def _load(self) -> None:
        try:
            if self._file is not None:
                document = json.loads(await asyncio.to_thread(self._file.read_text))
            else:
                assert self._url is not None
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self._url)
                    response.raise_for_status()
                    document = response.json()
            keys = PyJWKSet.from_dict(document).keys
        except (OSError, ValueError, httpx.HTTPError, jwt.PyJWTError) as exc:
            # Keep the keys we had: a provider blip must not log everybody out.
            logger.warning("JWKS not loaded", extra={"error": type(exc).__name__})
            self._fetched_at = time.monotonic()
            return
        self._keys = {key.key_id: key for key in keys if key.key_id}
        self._fetched_at = time.monotonic()


class JwtVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: JwksSource,
        scope_claim: str = "scope",
        team_claim: str = "doorstep_team",
        leeway_seconds: int = 30,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jwks = jwks
        self._scope_claim = scope_claim
        self._team_claim = team_claim
        self._leeway = leeway_seconds

    async def verify(self, token: str) -> Principal | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALLOWED_ALGORITHMS:
            return None
        key = await self._jwks.key(kid)
        if key is None:
            return None
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[header["alg"]],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal | None:
        raw_scopes = claims.get(self._scope_claim, "")
        if isinstance(raw_scopes, str):
            scopes = frozenset(raw_scopes.split())
        elif isinstance(raw_scopes, list) and all(isinstance(s, str) for s in raw_scopes):
            scopes = frozenset(raw_scopes)
        else:
            return None
        team: uuid.UUID | None = None
        if (raw_team := claims.get(self._team_claim)) is not None:
            try:
                team = uuid.UUID(str(raw_team))
            except ValueError:
                return None
        return Principal(
            subject=f"jwt:{claims['sub']}"[:128], scopes=scopes, team_id=team, credential="jwt"
        )
