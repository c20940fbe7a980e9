"""case-api's OpenAPI document is complete: every /v1 operation explains itself to a client."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep_case_api.main import create_app

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in sorted(document["paths"].items())
        if path.startswith("/v1/")
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def body_has_examples(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    for media in operation["requestBody"].get("content", {}).values():
        if media.get("example") is not None or media.get("examples"):
            return True
        schema = resolve(document, media.get("schema", {}))
        if schema.get("examples") or schema.get("example") is not None:
            return True
    return False


def test_there_are_operations_to_check(document: dict[str, Any]) -> None:
    assert len(operations(document)) >= 5


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    offenders = [
        f"{method} {path}: no {part}"
        for method, path, operation in operations(document)
        for part in ("summary", "description")
        if not str(operation.get(part, "")).strip()
    ]
    assert not offenders, "\n".join(offenders)


def test_operations_taking_input_declare_their_client_errors(document: dict[str, Any]) -> None:
    offenders = [
        f"{method} {path}: no 4xx response declared"
        for method, path, operation in operations(document)
        if ("{" in path or "requestBody" in operation)
        and not any(status.startswith("4") for status in operation.get("responses", {}))
    ]
    assert not offenders, "\n".join(offenders)


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    offenders = [
        f"{method} {path}: request body without examples (model_config json_schema_extra "
        "'examples', or Body(openapi_examples=...))"
        for method, path, operation in operations(document)
        if "requestBody" in operation and not body_has_examples(document, operation)
    ]
    assert not offenders, "\n".join(offenders)


def test_every_post_documents_the_idempotency_key(document: dict[str, Any]) -> None:
    offenders = [
        f"{method} {path}: Idempotency-Key header not documented"
        for method, path, operation in operations(document)
        if method == "POST"
        and "Idempotency-Key" not in [p.get("name") for p in operation.get("parameters", [])]
    ]
    assert not offenders, (
        "create_app() must call doorstep_case_api.operations.idempotency.install_idempotency"
        "(app):\n" + "\n".join(offenders)
    )


def test_the_case_read_documents_its_etag(document: dict[str, Any]) -> None:
    ok = document["paths"]["/v1/cases/{case_id}"]["get"]["responses"]["200"]
    assert "ETag" in ok.get("headers", {})
