"""case-api's OpenAPI document is complete: every /v1 operation explains itself to a client."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from doorstep_case_api.accounts.schemas import IntakeResult
from doorstep_case_api.arrangements.schemas import ArrangementList, ArrangementRead
from doorstep_case_api.cases.schemas import CaseContact, CasePage, CaseRead
from doorstep_case_api.evaluation.schemas import BusinessDateRead, EvaluationRead
from doorstep_case_api.holds.schemas import HoldList, HoldRead, VulnerabilityRead
from doorstep_case_api.legal.schemas import LegalReferralRead
from doorstep_case_api.main import create_app
from doorstep_case_api.operations.schemas import PortfolioSummary
from doorstep_case_api.payments.schemas import PaymentResult
from doorstep_case_api.promises.schemas import PromiseList, PromiseRead
from doorstep_case_api.visit_terms.schemas import VisitTermsRead

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


def media_has_examples(document: dict[str, Any], media: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    schema = resolve(document, media.get("schema", {}))
    return bool(schema.get("examples")) or schema.get("example") is not None


def success_responses_without_examples(
    document: dict[str, Any], operation: dict[str, Any]
) -> list[str]:
    missing = []
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2") or status == "204":
            continue
        content = response.get("content", {})
        if not content:
            missing.append(f"{status} (no content documented)")
        missing += [
            f"{status} {media_type}"
            for media_type, media in content.items()
            if not media_has_examples(document, media)
        ]
    return missing


# Every response model that carries a model-level example, so the examples cannot drift.
RESPONSE_MODELS: list[type[BaseModel]] = [
    ArrangementList,
    ArrangementRead,
    BusinessDateRead,
    CaseContact,
    CasePage,
    CaseRead,
    EvaluationRead,
    HoldList,
    HoldRead,
    IntakeResult,
    LegalReferralRead,
    PaymentResult,
    PortfolioSummary,
    PromiseList,
    PromiseRead,
    VisitTermsRead,
    VulnerabilityRead,
]


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


def test_every_success_response_has_an_example(document: dict[str, Any]) -> None:
    offenders = [
        f"{method} {path}: response {missing} without examples (model_config "
        "json_schema_extra 'examples', or responses={200: {'content': {...: {'example': ...}}}})"
        for method, path, operation in operations(document)
        for missing in success_responses_without_examples(document, operation)
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda model: model.__name__)
def test_response_model_examples_are_valid(model: type[BaseModel]) -> None:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} has no json_schema_extra examples"
    examples = extra.get("examples")
    assert isinstance(examples, list), f"{model.__name__} examples is not a list"
    assert examples, f"{model.__name__} has no examples"
    for example in examples:
        assert isinstance(example, dict)
        unknown = set(example) - set(model.model_fields)
        assert not unknown, f"{model.__name__} example has unknown fields {sorted(unknown)}"
        model.model_validate(example)
