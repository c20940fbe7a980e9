"""A real HTTP server standing in for the SMS gateway: checks the credential, honours the
idempotency key, and answers as each test scripts it (accept, 4xx, 5xx, or slowly)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.notifier.servers import serving

GATEWAY_CREDENTIAL = "Bearer gw-0123456789abcdef"


@dataclass(frozen=True)
class Slow:
    """Take the message, but answer only after ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Refuse:
    """Answer ``status`` with a JSON ``reason`` and do not take the message."""

    status: int
    reason: str = ""


GatewayReply = Slow | Refuse


@dataclass
class SmsGatewayStub:
    url: str = ""
    # Every request as it arrived: headers (lower-case names) and JSON body.
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    # The messages the gateway took, by idempotency key: what the carrier would deliver.
    taken: dict[str, dict[str, Any]] = field(default_factory=dict)
    message_ids: dict[str, str] = field(default_factory=dict)
    replies: list[GatewayReply] = field(default_factory=list)
    unauthorised: int = 0

    def script(self, *replies: GatewayReply) -> None:
        """Answer the next requests with ``replies``, then accept normally."""
        self.replies = list(replies)

    def requests_for(self, reference: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
        return [(h, body) for h, body in self.requests if body.get("reference") == reference]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/messages")
        async def send(request: Request) -> JSONResponse:
            if request.headers.get("authorization") != GATEWAY_CREDENTIAL:
                self.unauthorised += 1
                return JSONResponse({"error": "unauthorised"}, status_code=401)
            body = await request.json()
            self.requests.append((dict(request.headers), body))
            reply = self.replies.pop(0) if self.replies else None
            if isinstance(reply, Refuse):
                return JSONResponse({"reason": reply.reason}, status_code=reply.status)
            key = request.headers.get("idempotency-key")
            if not key:
                return JSONResponse({"error": "Idempotency-Key is required"}, status_code=400)
            # Taken once per key, as a real gateway does: a retry gets the first answer.
            self.taken.setdefault(key, body)
            message_id = self.message_ids.setdefault(key, f"gw-{len(self.message_ids) + 1}")
            if isinstance(reply, Slow):
                await asyncio.sleep(reply.seconds)
            return JSONResponse({"message_id": message_id, "status": "queued"}, status_code=202)

        return app


@contextlib.asynccontextmanager
async def running_gateway() -> AsyncIterator[SmsGatewayStub]:
    stub = SmsGatewayStub()
    async with serving(stub.app()) as url:
        stub.url = f"{url}/v1/messages"
        yield stub
