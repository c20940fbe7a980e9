"""Customer data the scheduler keeps (the visit address, coordinates and terms) is encrypted
at rest, field by field, with the same AES-256-GCM tokens as case-api's personal data.

Column types do it on the way in and out, so the code reads plain values. The cipher is the
process's: ``use_cipher`` installs the one from the settings at start-up (the default is the
published local-development key, refused in production).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

from doorstep_shared.security.crypto import (
    LOCAL_DEVELOPMENT_FIELD_KEYS,
    LOCAL_DEVELOPMENT_KEY_ID,
    FieldCipher,
    parse_key_ring,
)

_cipher = FieldCipher(parse_key_ring(LOCAL_DEVELOPMENT_FIELD_KEYS), LOCAL_DEVELOPMENT_KEY_ID)


def use_cipher(cipher: FieldCipher) -> None:
    global _cipher
    _cipher = cipher


def current_cipher() -> FieldCipher:
    return _cipher


class Encrypted(TypeDecorator[Any]):
    """A token in a text column; ``column`` is bound into each token (no copying between
    columns). Subclasses say how the value becomes text."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def _dump(self, value: Any) -> str:
        raise NotImplementedError

    def _load(self, text: str) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else _cipher.encrypt(self._dump(value), column=self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._load(_cipher.decrypt(value, column=self.column))


class EncryptedFloat(Encrypted):
    cache_ok = True

    def _dump(self, value: Any) -> str:
        return repr(float(value))

    def _load(self, text: str) -> float:
        return float(text)


class EncryptedJSON(Encrypted):
    cache_ok = True

    def _dump(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def _load(self, text: str) -> Any:
        return json.loads(text)
