"""RFC 9457 problem details for every error response, with no echo of submitted values."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://doorstep.dev/problems/"

logger = logging.getLogger(__name__)

_HTTP_SLUGS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    429: "too-many-requests",
}


class ProblemError(Exception):
    """A domain error that maps to one problem type. Subclass per error."""

    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFoundError(ProblemError):
    status = 404
    type_slug = "not-found"
    title = "Resource not found"


def problem_instance() -> str:
    """A fresh URN for one occurrence. Not the request path: paths carry account numbers,
    and an error body must not repeat what the caller sent."""
    return f"urn:uuid:{uuid.uuid4()}"


def route_template(request: Request) -> str:
    """The matched route's template (``/v1/accounts/{account_id}/...``), safe to log."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def problem_response(
    status: int, type_slug: str, title: str, detail: str, instance: str, **extensions: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def redacted_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Pydantic's validation errors with only where and why. Its default (and FastAPI's 422)
    echoes the submitted value ("input"), which may be a phone number or a name."""
    return [
        {"location": [str(part) for part in err.get("loc", ())], "message": err.get("msg", "")}
        for err in errors
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _domain(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.type_slug, exc.title, exc.detail, problem_instance(), **exc.extensions
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422,
            "validation-error",
            "Request is not valid",
            "One or more fields are missing or invalid; see 'errors'.",
            problem_instance(),
            errors=redacted_errors(exc.errors()),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem_response(
            exc.status_code,
            _HTTP_SLUGS.get(exc.status_code, f"http-{exc.status_code}"),
            str(exc.detail) if exc.status_code != 404 else "Resource not found",
            str(exc.detail),
            problem_instance(),
        )
        # WWW-Authenticate on 401, Retry-After on 429.
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        instance = problem_instance()
        logger.exception(
            "unhandled error", extra={"route": route_template(request), "instance": instance}
        )
        return problem_response(
            500,
            "internal-error",
            "Internal server error",
            "The request failed; nothing was changed. Retry later.",
            instance,
        )
