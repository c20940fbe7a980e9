"""Idempotency-Key on every POST under /v1: a retried request gets the first answer again.

A POST with an ``Idempotency-Key`` header claims (key, caller + method + path) by inserting a
placeholder row in its own short transaction, runs, and then stores its status, headers and
body. The same key with the same request (SHA-256 of method, path, query and body) replays the
stored answer with ``Idempotent-Replayed: true`` without running the request again; with
another request it is refused (422 ``idempotency-key-reused``); while the first is still running
it is refused (409 ``idempotency-key-in-use``).

Answers with 2xx and 4xx statuses are stored, except 401, 403 and 429: those are about the
caller's credentials or pace, not the request, and a retry must be able to succeed. 5xx answers
and failures are not stored (the placeholder is removed), so the client can retry. A placeholder
left by a crashed process is taken over after ``abandoned_after``.

Records are kept for good for now; a retention setting and a purge job are still to come.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from doorstep_case_api.operations.models import IdempotencyRecord
from doorstep_shared.clock import utc_now
from doorstep_shared.db.dialect import upsert_insert
from doorstep_shared.errors import problem_instance, problem_response

logger = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"[\x20-\x7e]{1,128}")  # printable ASCII
_NOT_STORED = frozenset({401, 403, 429})
_PLACEHOLDER = 0  # status_code of a claim whose answer is not known yet
_ROUTE_LENGTH = 255


@dataclass(frozen=True)
class _Outcome:
    """What a claim found: run the request, replay an answer, or refuse."""

    kind: str  # run | replay | reused | in_flight
    record: IdempotencyRecord | None = None


class _Records:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def claim(
        self, key: str, route: str, request_hash: str, abandoned_after: timedelta
    ) -> _Outcome:
        now = utc_now()
        async with self._sessionmaker() as session, session.begin():
            inserted = await session.execute(
                upsert_insert(session, IdempotencyRecord.__table__)
                .values(
                    key=key,
                    route=route,
                    request_hash=request_hash,
                    status_code=_PLACEHOLDER,
                    response_body={},
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["key", "route"])
            )
            if inserted.rowcount:  # type: ignore[attr-defined]
                return _Outcome("run")
            record = (
                await session.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.key == key, IdempotencyRecord.route == route
                    )
                )
            ).scalar_one_or_none()
            if record is None:  # removed after a failure between our insert and read
                return _Outcome("in_flight")
            if record.request_hash != request_hash:
                return _Outcome("reused")
            if record.status_code != _PLACEHOLDER:
                return _Outcome("replay", record)
            if record.created_at < now - abandoned_after:
                taken = await session.execute(
                    update(IdempotencyRecord)
                    .where(
                        IdempotencyRecord.key == key,
                        IdempotencyRecord.route == route,
                        IdempotencyRecord.status_code == _PLACEHOLDER,
                        IdempotencyRecord.created_at == record.created_at,
                    )
                    .values(created_at=now)
                )
                if taken.rowcount:  # type: ignore[attr-defined]
                    return _Outcome("run")
            return _Outcome("in_flight")

    async def store(
        self, key: str, route: str, status: int, headers: list[list[str]], body: str
    ) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == key, IdempotencyRecord.route == route)
                .values(
                    status_code=status,
                    response_body={"headers": headers, "body": body},
                    created_at=utc_now(),
                )
            )

    async def release(self, key: str, route: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.route == route,
                    IdempotencyRecord.status_code == _PLACEHOLDER,
                )
            )


class IdempotencyMiddleware:
    """Pure ASGI middleware; needs ``app.state.sessionmaker`` (set by the lifespan)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path_prefix: str = "/v1/",
        abandoned_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.app = app
        self._prefix = path_prefix
        self._abandoned_after = abandoned_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self._prefix)
        ):
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.fullmatch(key):
            await _problem(
                scope,
                receive,
                send,
                400,
                "invalid-idempotency-key",
                "Idempotency-Key is not valid",
                "Idempotency-Key must be 1 to 128 printable ASCII characters.",
            )
            return
        caller = await _caller(scope)
        if caller is None:
            # No valid credential: the app answers 401 and nothing is claimed or replayed.
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before sending its request
        route = _route(scope, caller)
        records = _Records(scope["app"].state.sessionmaker)
        outcome = await records.claim(key, route, _request_hash(scope, body), self._abandoned_after)
        if outcome.kind == "replay" and outcome.record is not None:
            await _replay(outcome.record, send)
        elif outcome.kind == "reused":
            await _problem(
                scope,
                receive,
                send,
                422,
                "idempotency-key-reused",
                "Idempotency-Key was used for another request",
                "This Idempotency-Key was first used with another body; use a new key for a "
                "new request.",
            )
        elif outcome.kind == "in_flight":
            await _problem(
                scope,
                receive,
                send,
                409,
                "idempotency-key-in-use",
                "A request with this Idempotency-Key is in progress",
                "Wait for the first request to finish, then retry to get its answer.",
            )
        else:
            await self._run_and_store(scope, receive, send, body, records, key, route)

    async def _run_and_store(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        records: _Records,
        key: str,
        route: str,
    ) -> None:
        response = _Captured()
        try:
            await self.app(scope, _replaying(body, receive), response.capture)
        except BaseException:
            await records.release(key, route)
            raise
        text = response.text()
        if response.storable and text is not None:
            try:
                await records.store(key, route, response.status, response.kept_headers(), text)
            except Exception:
                # The change is committed; answer it. A retry waits for the placeholder to be
                # abandoned, then runs again (the domain's own checks stop a double effect).
                logger.exception("idempotency record not stored", extra={"route": route})
        else:
            await records.release(key, route)
        await response.forward(send)


class _Captured:
    """The inner app's answer, held back until it is stored (a retry then finds it)."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def capture(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def storable(self) -> bool:
        return self.status < 500 and self.status not in _NOT_STORED

    def text(self) -> str | None:
        try:
            return b"".join(self.chunks).decode()
        except UnicodeDecodeError:
            return None

    def kept_headers(self) -> list[list[str]]:
        return [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, value in self.headers
            if name.lower() != b"content-length"
        ]

    async def forward(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"".join(self.chunks)})


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    stored: dict[str, Any] = record.response_body
    body = str(stored.get("body", "")).encode()
    headers = [
        (str(name).encode("latin-1"), str(value).encode("latin-1"))
        for name, value in stored.get("headers", [])
    ]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope["headers"]:
        if header.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _caller(scope: Scope) -> str | None:
    """The credential's subject: keys are per caller, so nobody replays another's answer."""
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    principal = await scope["app"].state.authenticator.authenticate(token)
    return None if principal is None else str(principal.subject)


def _route(scope: Scope, caller: str) -> str:
    route = f"{caller} {scope['method']} {scope['path']}"
    if len(route) <= _ROUTE_LENGTH:
        return route
    # Longer than the column: a digest still names exactly one caller and path.
    return f"{scope['method']} sha256:{hashlib.sha256(route.encode()).hexdigest()}"


def _request_hash(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"]):
        digest.update(part)
        digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The request body again for the inner app (it was read to hash it)."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # afterwards only http.disconnect arrives

    return replayed


async def _problem(
    scope: Scope, receive: Receive, send: Send, status: int, slug: str, title: str, detail: str
) -> None:
    response = problem_response(status, slug, title, detail, problem_instance())
    await response(scope, receive, send)


# ---------------------------------------------------------------------------------------------
# Installing it, and documenting the header on every POST in the OpenAPI document.

_KEY_PARAMETER: dict[str, Any] = {
    "name": KEY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "A unique value per logical request (e.g. a UUID), 1 to 128 printable ASCII characters. "
        "A retry with the same key and body gets the first answer again, with header "
        "`Idempotent-Replayed: true`, and changes nothing."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}
_KEY_RESPONSES = {
    "400": "Idempotency-Key is not 1 to 128 printable ASCII characters.",
    "409": "A request with this Idempotency-Key is still in progress.",
    "422": "Idempotency-Key was already used with another body.",
}


def document_idempotency(app: FastAPI, path_prefix: str = "/v1/") -> None:
    """Add the Idempotency-Key header and its problem responses to every POST under /v1."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for path, operations in schema.get("paths", {}).items():
            post = operations.get("post")
            if post is None or not path.startswith(path_prefix):
                continue
            parameters = post.setdefault("parameters", [])
            if not any(p.get("name") == KEY_HEADER for p in parameters):
                parameters.append(dict(_KEY_PARAMETER))
            responses = post.setdefault("responses", {})
            for status, text in _KEY_RESPONSES.items():
                declared = responses.setdefault(
                    status,
                    {"description": text, "content": {"application/problem+json": {}}},
                )
                if text not in declared.get("description", ""):
                    declared["description"] = f"{declared.get('description', '')} Or: {text}"
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_idempotency(app: FastAPI) -> None:
    """What ``create_app`` calls: the middleware, and its documentation."""
    app.add_middleware(IdempotencyMiddleware)
    document_idempotency(app)
