"""The published event contract: docs/events/ must match the code, version by version."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from decimal import Decimal

import pytest

from doorstep_local.contracts import DOCS, rendered_schemas
from doorstep_shared.events.contracts import (
    EVENT_TYPES,
    CaseOpened,
    parse_data,
    to_envelope,
)
from doorstep_shared.events.envelope import EnvelopeError, EventEnvelope
from tests.support.events import case_opened


@pytest.mark.parametrize("filename", sorted(rendered_schemas()))
def test_published_schema_has_not_changed_without_a_new_version(filename: str) -> None:
    published = DOCS / filename
    assert published.exists(), (
        f"{filename} is a new event type: run `python -m doorstep_local.contracts` and commit it"
    )
    assert json.loads(published.read_text()) == json.loads(rendered_schemas()[filename]), (
        f"the schema of {filename} changed. A published type never changes shape: add a new "
        "type with the next version (e.g. .v2) and keep this one."
    )


def test_no_schema_file_is_orphaned() -> None:
    assert {p.name for p in DOCS.glob("*.json")} == set(rendered_schemas())


def test_every_event_type_is_versioned_and_past_tense_named() -> None:
    for event_type in EVENT_TYPES:
        assert re.fullmatch(r"doorstep\.[a-z]+\.[a-z_]+\.v[0-9]+", event_type), event_type


def test_event_schemas_have_no_personal_data_fields() -> None:
    forbidden = {"name", "phone", "email", "address", "national_id", "customer_id", "account_id"}
    for filename, text in rendered_schemas().items():
        properties = _all_property_names(json.loads(text))
        assert not properties & forbidden, f"{filename} has {properties & forbidden}"


def _all_property_names(schema: object) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= _all_property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _all_property_names(item)
    return names


def _opened() -> CaseOpened:
    return case_opened(uuid.UUID("6f1c1f9e-3b8e-4d55-9d1e-0a3f5f0b9c11"), currency="JPY")


def test_envelope_round_trips_through_kafka_headers() -> None:
    envelope = to_envelope(_opened(), "urn:doorstep:case-api", sequence=1)
    decoded = EventEnvelope.from_kafka(envelope.kafka_headers(), envelope.kafka_value())
    assert decoded == envelope
    headers = dict(envelope.kafka_headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_subject"] == b"6f1c1f9e-3b8e-4d55-9d1e-0a3f5f0b9c11"
    assert headers["ce_sequence"] == b"1"
    data = parse_data(decoded)
    assert isinstance(data, CaseOpened)
    assert data.arrears.principal == Decimal("1200")
    # Money travels as strings, never as JSON numbers (floats).
    assert json.loads(envelope.kafka_value())["arrears"]["principal"] == "1200"


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ([], b"{}"),
        ([("ce_specversion", b"0.3")], b"{}"),
        (None, b"not json"),
        (None, b"[1, 2]"),
    ],
)
def test_invalid_messages_are_envelope_errors(headers: object, value: bytes) -> None:
    good = to_envelope(_opened(), "urn:test", sequence=1).kafka_headers()
    with pytest.raises(EnvelopeError):
        EventEnvelope.from_kafka(good if headers is None else headers, value)  # type: ignore[arg-type]


def test_data_that_breaks_the_contract_is_an_envelope_error() -> None:
    envelope = to_envelope(_opened(), "urn:test", sequence=1)
    broken = dataclasses.replace(envelope, data={**envelope.data, "sequence": "x"})
    with pytest.raises(EnvelopeError) as caught:
        parse_data(broken)
    assert "sequence" in str(caught.value)
