"""A real HTTP server standing in for case-api's contact endpoint, scriptable per case."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.notifier.servers import serving
from tests.support.clocks import daytime_zone

TOKEN = "dsk_0123abcd_stub-credential-of-the-notifier-for-tests"


@dataclass(frozen=True)
class Slow:
    """Answer normally, but only after ``seconds``."""

    seconds: float


Reply = int | Slow


def contact_for(case_id: str, **overrides: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "case_id": case_id,
        "name": "Li Wei",
        "phone": "+8613800138000",
        "email": "li.wei@example.com",
        "address": {
            "line1": "88 Century Avenue",
            "line2": None,
            "city": "Shanghai",
            "region": None,
            "postal_code": "200120",
            "country": "CN",
            "latitude": 31.2304,
            "longitude": 121.4737,
        },
        # Where it is about noon: these tests are about delivery, not contact hours.
        "timezone": daytime_zone(),
        "preferred_language": "zh-CN",
    }
    contact.update(overrides)
    return contact


@dataclass
class ContactStub:
    url: str = ""
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    scripts: dict[str, list[Reply]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _called: dict[str, asyncio.Event] = field(default_factory=dict)
    unauthorised_calls: int = 0
    # (case id, X-Purpose) of every authorised request: case-api audits the purpose.
    purposes: list[tuple[str, str | None]] = field(default_factory=list)

    def add(self, case_id: object, **overrides: Any) -> dict[str, Any]:
        contact = contact_for(str(case_id), **overrides)
        self.contacts[str(case_id)] = contact
        return contact

    def script(self, case_id: object, *replies: Reply) -> None:
        """Answer the next requests for ``case_id`` with ``replies``, then normally."""
        self.scripts[str(case_id)] = list(replies)

    def calls_for(self, case_id: object) -> int:
        return self.calls.get(str(case_id), 0)

    async def first_call(self, case_id: object, timeout: float = 5.0) -> None:
        """Returns once a request for ``case_id`` has arrived."""
        await asyncio.wait_for(self._event(str(case_id)).wait(), timeout)

    def _event(self, case_id: str) -> asyncio.Event:
        return self._called.setdefault(case_id, asyncio.Event())

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/cases/{case_id}/contact")
        async def contact(case_id: str, request: Request) -> JSONResponse:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                self.unauthorised_calls += 1
                return JSONResponse({"title": "unauthorized"}, status_code=401)
            self.calls[case_id] = self.calls.get(case_id, 0) + 1
            self.purposes.append((case_id, request.headers.get("x-purpose")))
            self._event(case_id).set()
            script = self.scripts.get(case_id)
            reply = script.pop(0) if script else None
            if isinstance(reply, Slow):
                await asyncio.sleep(reply.seconds)
            elif isinstance(reply, int):
                return JSONResponse({"title": f"scripted {reply}"}, status_code=reply)
            if case_id not in self.contacts:
                return JSONResponse({"title": "Case not found"}, status_code=404)
            return JSONResponse(self.contacts[case_id])

        return app


@contextlib.asynccontextmanager
async def running_contact_stub() -> AsyncIterator[ContactStub]:
    stub = ContactStub()
    async with serving(stub.app()) as url:
        stub.url = url
        yield stub
