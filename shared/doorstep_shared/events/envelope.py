"""CloudEvents 1.0 in Kafka binary mode: attributes in ``ce_*`` headers, JSON data as the value."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doorstep_shared.clock import utc_now

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A message that is not a valid Doorstep CloudEvent (a poison message)."""


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utc_now)
    sequence: int | None = None

    def kafka_headers(self) -> Headers:
        headers: Headers = [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_type", self.type.encode()),
            ("ce_source", self.source.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("ce_subject", self.subject.encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.sequence is not None:
            # CloudEvents "sequence" extension: per-case order for consumers.
            headers.append(("ce_sequence", str(self.sequence).encode()))
        return headers

    def kafka_value(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_kafka(cls, headers: Sequence[tuple[str, bytes]], value: bytes | None) -> EventEnvelope:
        attrs: dict[str, str] = {}
        for key, raw in headers:
            try:
                attrs[key] = raw.decode()
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {key} is not UTF-8") from exc
        missing = [
            name
            for name in ("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject")
            if not attrs.get(name)
        ]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if attrs["ce_specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"unsupported specversion {attrs['ce_specversion']}")
        try:
            time = datetime.fromisoformat(attrs["ce_time"])
        except ValueError as exc:
            raise EnvelopeError("ce_time is not an ISO 8601 timestamp") from exc
        if time.tzinfo is None:
            raise EnvelopeError("ce_time has no time zone")
        sequence: int | None = None
        if attrs.get("ce_sequence"):
            try:
                sequence = int(attrs["ce_sequence"])
            except ValueError as exc:
                raise EnvelopeError("ce_sequence is not an integer") from exc
        try:
            data = json.loads(value or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError("value is not JSON") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("value is not a JSON object")
        return cls(
            type=attrs["ce_type"],
            source=attrs["ce_source"],
            subject=attrs["ce_subject"],
            data=data,
            id=attrs["ce_id"],
            time=time,
            sequence=sequence,
        )
