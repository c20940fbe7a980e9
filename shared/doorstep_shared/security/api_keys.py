"""API keys: shown once, stored hashed, identifiable by prefix, revocable, with an expiry.

A key reads ``dsk_<prefix>_<secret>``. The prefix (8 hex characters) names the key in lists,
logs and audit entries; the secret carries 256 random bits, so a plain SHA-256 of the whole
key is a safe verifier (no slow password hash is needed for a value nobody chose).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Column, MetaData, String, Table, Uuid, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from doorstep_shared.db.types import UtcDateTime
from doorstep_shared.security.principal import Principal

TOKEN_PREFIX = "dsk_"  # noqa: S105  (a label, not a secret)


def define_api_key_table(metadata: MetaData) -> Table:
    return Table(
        "api_key",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("prefix", String(16), nullable=False, unique=True),
        Column("name", String(100), nullable=False),
        Column("token_hash", String(64), nullable=False),
        Column("scopes", JSON, nullable=False),
        Column("team_id", Uuid, nullable=True),
        Column("created_at", UtcDateTime, nullable=False),
        Column("expires_at", UtcDateTime, nullable=True),
        Column("revoked_at", UtcDateTime, nullable=True),
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def split_token(token: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(prefix) != 8 or len(secret) < 32:
        return None
    return prefix


@dataclass(frozen=True)
class ApiKeyRecord:
    id: uuid.UUID
    prefix: str
    name: str
    scopes: tuple[str, ...]
    team_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def principal(self) -> Principal:
        return Principal(
            subject=f"key:{self.prefix}",
            scopes=frozenset(self.scopes),
            team_id=self.team_id,
            credential="api_key",
        )


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``token`` is shown to its owner once and never stored."""

    token: str
    record: ApiKeyRecord


class ApiKeyRepository:
    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table

    async def issue(
        self,
        *,
        name: str,
        scopes: Iterable[str],
        team_id: uuid.UUID | None,
        expires_at: datetime | None,
        now: datetime,
    ) -> IssuedKey:
        prefix = secrets.token_hex(4)
        token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        record = ApiKeyRecord(
            id=uuid.uuid4(),
            prefix=prefix,
            name=name,
            scopes=tuple(sorted(set(scopes))),
            team_id=team_id,
            created_at=now,
            expires_at=expires_at,
            revoked_at=None,
        )
        await self._session.execute(
            insert(self._table).values(
                id=record.id,
                prefix=prefix,
                name=name,
                token_hash=hash_token(token),
                scopes=list(record.scopes),
                team_id=team_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return IssuedKey(token, record)

    async def verify(self, token: str) -> ApiKeyRecord | None:
        """The key's record when ``token`` is exactly a stored key (active or not)."""
        prefix = split_token(token)
        if prefix is None:
            return None
        row = (
            await self._session.execute(select(self._table).where(self._table.c.prefix == prefix))
        ).one_or_none()
        if row is None or not hmac.compare_digest(row.token_hash, hash_token(token)):
            return None
        return _record(row)

    async def list(self) -> list[ApiKeyRecord]:
        rows = await self._session.execute(
            select(self._table).order_by(self._table.c.created_at, self._table.c.prefix)
        )
        return [_record(row) for row in rows]

    async def revoke(self, prefix: str, now: datetime) -> bool:
        result = await self._session.execute(
            update(self._table)
            .where(self._table.c.prefix == prefix, self._table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _record(row: object) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,  # type: ignore[attr-defined]
        prefix=row.prefix,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        scopes=tuple(row.scopes),  # type: ignore[attr-defined]
        team_id=row.team_id,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        expires_at=row.expires_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
    )
