"""Refuse request bodies above a size, before they are read whole (413)."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from doorstep_shared.errors import PROBLEM_BASE, PROBLEM_JSON, problem_instance


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, or counts a chunked body as it comes.

    ``limit_for(path)`` lets a route that takes files (batch intake) have its own limit. A
    route in ``streamed`` reads its body as it arrives: a chunked body is counted in passing,
    never buffered here, and cut off at the limit (``scope["state"]["body_cut_off_at"]`` tells
    the route, which reports it).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], int],
        streamed: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            # The server (h11/httptools) delivers exactly the declared length, so the header
            # is all there is to check.
            if not declared.isdigit() or int(declared) > limit:
                await _too_large(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.streamed:
            await self.app(scope, _counted(scope, receive, limit), send)
            return
        # No length (chunked): read up to the limit here, then hand the body on. Raising
        # from inside the app's receive would surface as the framework's 400 instead.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _counted(scope: Scope, receive: Receive, limit: int) -> Receive:
    size = 0

    async def counting() -> Message:
        nonlocal size
        if "body_cut_off_at" in scope.setdefault("state", {}):
            return {"type": "http.request", "body": b"", "more_body": False}
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                scope["state"]["body_cut_off_at"] = limit
                return {"type": "http.request", "body": b"", "more_body": False}
        return message

    return counting


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + "payload-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"The request body exceeds {limit} bytes.",
            "instance": problem_instance(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
