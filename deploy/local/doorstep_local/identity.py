"""A stand-in for the bank's identity provider, for the local stack and the end-to-end tests.

It keeps an EC P-256 signing key under ``var/``, publishes its public half as a JWKS file
that the three services trust (``*_JWT_JWKS_FILE``), and mints bearer JWTs: one with every
scope for the local operator, and service tokens limited to what each service needs. A
production deployment points the same settings at the bank's own provider instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ISSUER = "urn:doorstep:local-identity"
AUDIENCE = "doorstep"
KEY_ID = "local-1"


class LocalIdentity:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key_path = directory / "local-identity-key.pem"
        self.jwks_path = directory / "local-identity-jwks.json"
        self._key = self._load_or_create()

    def _load_or_create(self) -> ec.EllipticCurvePrivateKey:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.key_path.exists():
            loaded = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
            assert isinstance(loaded, ec.EllipticCurvePrivateKey)
            key = loaded
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            self.key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            self.key_path.chmod(0o600)
        public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
        public.update({"kid": KEY_ID, "use": "sig", "alg": "ES256"})
        self.jwks_path.write_text(json.dumps({"keys": [public]}))
        return key

    def mint(
        self,
        subject: str,
        scopes: Iterable[str],
        *,
        team_id: str | None = None,
        ttl_seconds: int = 30 * 24 * 3600,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_seconds,
            "scope": " ".join(sorted(scopes)),
        }
        if team_id is not None:
            claims["doorstep_team"] = team_id
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": KEY_ID})

    def service_environment(self, prefixes: Iterable[str]) -> dict[str, str]:
        """The settings that make each service trust this provider."""
        env: dict[str, str] = {}
        for prefix in prefixes:
            env[f"{prefix}JWT_ISSUER"] = ISSUER
            env[f"{prefix}JWT_AUDIENCE"] = AUDIENCE
            env[f"{prefix}JWT_JWKS_FILE"] = str(self.jwks_path)
        return env
