"""Dead letters as the consumers leave them on ``<topic>.dlq``, and the marks of their replays.

Which dead letters were replayed is kept on the dead-letter topic itself: after a replay's copy
is acknowledged on the source topic, a *replay marker* goes to the same DLQ partition, naming
the dead letter's offset (header ``dlq_replay_of``, an empty value, no customer data). Why a
marker and not a replay consumer group whose committed offsets mark progress:

- a group's offset is a cursor: it cannot say "0:7 was replayed, 0:5 was not" after
  ``--message 0:7``, nor keep a failed one pending while later ones went through;
- Kafka deletes the committed offsets of a group without members after
  ``offsets.retention.minutes`` (7 days by default): every dead letter would turn pending again;
- a marker lives in the same topic, so it has the retention of what it marks, and the listing
  reads that topic anyway: one read gives the letters and their state.

A marker is written after the copy is acknowledged: a crash between the two leaves the letter
pending and a later replay sends it again, which every consumer's inbox turns into a no-op.
Markers are keyed uniquely, so a compacted DLQ would keep them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord

DLQ_HEADER_PREFIX = "dlq_"
REPLAYED_FROM = "dlq_replayed_from"  # on a replayed copy: "<dlq topic>:<partition>:<offset>"
REPLAY_OF = "dlq_replay_of"  # on a replay marker: "<partition>:<offset>" in the same topic
REPLAYED_TO = "dlq_replayed_to"  # on a replay marker: "<topic>:<partition>:<offset>"
REPLAYED_AT = "dlq_replayed_at"

PENDING = "pending"
REPLAYED = "replayed"


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    partition: int
    offset: int
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    consumer_group: str
    error: str
    failed_at: str
    ce_type: str | None
    ce_id: str | None
    replayed_from: str | None
    state: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def address(self) -> str:
        return f"{self.dlq_topic}:{self.partition}:{self.offset}"

    @property
    def value_size(self) -> int:
        return len(self.value or b"")

    @property
    def value_sha256(self) -> str:
        """Enough of the value's digest to tell two values apart; never the value itself."""
        return hashlib.sha256(self.value or b"").hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """What an operator may see: where it came from and why it failed, not its content."""
        return {
            "dlq_topic": self.dlq_topic,
            "dlq_partition": self.partition,
            "dlq_offset": self.offset,
            "original_topic": self.original_topic,
            "original_partition": self.original_partition,
            "original_offset": self.original_offset,
            "consumer_group": self.consumer_group,
            "state": self.state,
            "error": self.error,
            "failed_at": self.failed_at,
            "ce_type": self.ce_type,
            "ce_id": self.ce_id,
            "value_bytes": self.value_size,
            "value_sha256": self.value_sha256,
            "replayed_from": self.replayed_from,
        }

    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The original headers: the consumer's ``dlq_*`` ones dropped, where it came from added."""
        kept = [
            (key, value) for key, value in self.headers if not key.startswith(DLQ_HEADER_PREFIX)
        ]
        return [*kept, (REPLAYED_FROM, self.address.encode())]


def replay_marker_headers(
    letter: DeadLetter, copy_address: str, at: str
) -> list[tuple[str, bytes]]:
    return [
        (REPLAY_OF, letter.position.encode()),
        (REPLAYED_TO, copy_address.encode()),
        (REPLAYED_AT, at.encode()),
    ]


def replay_marker_key(letter: DeadLetter) -> bytes:
    return f"dlq-replay:{letter.position}".encode()


def dead_letters(dlq_topic: str, records: Iterable[ConsumerRecord]) -> list[DeadLetter]:
    """The dead letters among a DLQ topic's records, each marked replayed or pending."""
    letters: list[ConsumerRecord] = []
    replayed: set[str] = set()
    for record in records:
        headers = _text_headers(record.headers)
        if REPLAY_OF in headers:
            replayed.add(headers[REPLAY_OF])
        elif "dlq_original_topic" in headers:
            letters.append(record)
    return [
        _dead_letter(dlq_topic, record, replayed)
        for record in sorted(letters, key=lambda r: (r.partition, r.offset))
    ]


def _dead_letter(dlq_topic: str, record: ConsumerRecord, replayed: set[str]) -> DeadLetter:
    headers = _text_headers(record.headers)
    position = f"{record.partition}:{record.offset}"
    return DeadLetter(
        dlq_topic=dlq_topic,
        partition=record.partition,
        offset=record.offset,
        original_topic=headers["dlq_original_topic"],
        original_partition=_int(headers.get("dlq_original_partition")),
        original_offset=_int(headers.get("dlq_original_offset")),
        consumer_group=headers.get("dlq_consumer_group", ""),
        error=headers.get("dlq_error", ""),
        failed_at=headers.get("dlq_failed_at", ""),
        ce_type=headers.get("ce_type"),
        ce_id=headers.get("ce_id"),
        replayed_from=headers.get(REPLAYED_FROM),
        state=REPLAYED if position in replayed else PENDING,
        key=record.key,
        value=record.value,
        headers=tuple(record.headers),
    )


def _text_headers(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    # Printable text only: a header is shown on an operator's terminal.
    return {
        key: "".join(ch if ch.isprintable() else "?" for ch in raw.decode(errors="replace"))
        for key, raw in headers
    }


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
