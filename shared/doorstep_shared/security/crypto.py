"""Field-by-field encryption of personal data at rest, and blind indexes to look values up.

Each value becomes one text token ``v1.<key_id>.<base64url(nonce || ciphertext || tag)>``:
AES-256-GCM with a fresh random 96-bit nonce per value (so equal values never give equal
tokens), the key id in clear so a key ring can hold old keys while ``rotate-keys`` runs, and
associated data naming the column, so a token copied into another column fails to decrypt.

Encrypted values cannot be searched. Lookups go through a *blind index* instead: an
HMAC-SHA256 of a normalised value under a separate key. It reveals equality of the normalised
values to whoever reads the table, nothing more, and cannot be reversed without the key.

No error raised here carries a plaintext or key material: only key ids and column names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from typing import Protocol

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

FORMAT_VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the 96-bit nonce GCM is specified for
_TAG_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# The shortest token carries a nonce and a tag: 28 bytes, 38 base64url characters unpadded.
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{38,})$")

# LOCAL DEVELOPMENT ONLY. These keys are published in the source code: anything encrypted
# under them is readable by anyone. They exist so that `make run` and the tests work without
# configuration; production must set its own (see uses_local_default_keys).
LOCAL_DEVELOPMENT_KEY_ID = "local-dev"
_LOCAL_FIELD_KEY = b"doorstep-LOCAL-DEV-ONLY-field-k1"
_LOCAL_BLIND_INDEX_KEY = b"doorstep-LOCAL-DEV-ONLY-index-k1"
LOCAL_DEVELOPMENT_FIELD_KEYS = (
    f"{LOCAL_DEVELOPMENT_KEY_ID}:{base64.b64encode(_LOCAL_FIELD_KEY).decode()}"
)
LOCAL_DEVELOPMENT_BLIND_INDEX_KEY = base64.b64encode(_LOCAL_BLIND_INDEX_KEY).decode()


class FieldCryptoError(Exception):
    """Base of every error here; messages name key ids and columns, never values."""


class KeyConfigurationError(FieldCryptoError):
    """The key settings are malformed (bad pair, bad base64, wrong length, unknown active id)."""


class MalformedTokenError(FieldCryptoError):
    """A stored value is not a token of this format (e.g. plaintext left from before 0003)."""


class UnknownKeyError(FieldCryptoError):
    """A token names a key id that is not in the key ring."""


class DecryptionError(FieldCryptoError):
    """Authentication failed: wrong column, tampered token, or a different key under that id."""


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional."""
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class FieldCipher:
    """AES-256-GCM over one key ring; new values always go under the active key id."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if not keys:
            raise KeyConfigurationError("the field encryption key ring is empty")
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id):
                raise KeyConfigurationError(
                    "key ids are 1-32 characters of letters, digits, '-' or '_'"
                )
            if len(key) != KEY_BYTES:
                raise KeyConfigurationError(
                    f"field encryption key {key_id!r} must be {KEY_BYTES} bytes"
                )
        if active_key_id not in keys:
            raise KeyConfigurationError(
                f"the active key id {active_key_id!r} is not in the field encryption key ring"
            )
        self._aead = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id

    def __repr__(self) -> str:  # never the keys
        return f"FieldCipher(active={self._active!r}, key_ids={sorted(self._aead)!r})"

    @property
    def active_key_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._aead)

    def encrypt(self, plaintext: str, *, column: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._active].encrypt(
            nonce, plaintext.encode(), _associated_data(self._active, column)
        )
        return f"{FORMAT_VERSION}.{self._active}.{_b64url(nonce + sealed)}"

    def decrypt(self, token: str, *, column: str) -> str:
        key_id, payload = _parse(token, column)
        aead = self._aead.get(key_id)
        if aead is None:
            raise UnknownKeyError(
                f"{column} is encrypted under key id {key_id!r}, which is not in the key ring; "
                "add it back to the field encryption keys until rotate-keys has run"
            )
        try:
            plaintext = aead.decrypt(
                payload[:NONCE_BYTES], payload[NONCE_BYTES:], _associated_data(key_id, column)
            )
        except InvalidTag:
            raise DecryptionError(
                f"a value in {column} failed authentication under key id {key_id!r} "
                "(tampered, copied from another column, or a different key under that id)"
            ) from None
        return plaintext.decode()

    def key_id_of(self, token: str) -> str:
        return _parse(token, "a field")[0]

    def is_current(self, value: str) -> bool:
        """True for a token under the active key; rotation leaves those alone."""
        match = _TOKEN.match(value)
        return match is not None and match.group(1) == self._active


def is_token(value: str) -> bool:
    """Whether ``value`` has the token format (rotation encrypts values that do not)."""
    return _TOKEN.match(value) is not None


def _associated_data(key_id: str, column: str) -> bytes:
    # The column makes a token valid in one column only; the version and key id bind the
    # token's clear header to its ciphertext.
    return f"doorstep-field/{FORMAT_VERSION}/{key_id}/{column}".encode()


def _parse(token: str, column: str) -> tuple[str, bytes]:
    match = _TOKEN.match(token)
    if match is None:
        raise MalformedTokenError(
            f"{column} holds a value that is not an encrypted token; values written before "
            "encryption are encrypted by `doorstep-case-api rotate-keys`"
        )
    try:
        payload = _b64decode(match.group(2))
    except (binascii.Error, ValueError):
        raise MalformedTokenError(f"{column} holds a token that is not valid base64") from None
    if len(payload) < NONCE_BYTES + _TAG_BYTES:
        raise MalformedTokenError(f"{column} holds a token that is too short")
    return match.group(1), payload


def normalise_phone(value: str) -> str:
    """E.164 when the number parses (``+86 138-0013-8000`` -> ``+8613800138000``), otherwise
    its digits with a leading ``+`` kept."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None:
        return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    digits = "".join(ch for ch in value if ch in "0123456789")
    return ("+" if value.strip().startswith("+") else "") + digits


def normalise_national_id(value: str) -> str:
    """Upper case without spaces or hyphens: ``ab 12-34`` and ``AB1234`` are the same id."""
    return re.sub(r"[\s\-]", "", value).upper()


class BlindIndex:
    """HMAC-SHA256 (hex) of a normalised value, one domain per kind of value."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise KeyConfigurationError(f"the blind index key must be at least {KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:  # never the key
        return "BlindIndex()"

    def phone(self, value: str) -> str:
        return self._digest("phone", normalise_phone(value))

    def national_id(self, value: str) -> str:
        return self._digest("national_id", normalise_national_id(value))

    def record(self, kind: str, canonical: str) -> str:
        """Digest of a whole record's canonical text: equal only when the record is."""
        return self._digest(kind, canonical)

    def _digest(self, kind: str, normalised: str) -> str:
        if not normalised:
            raise ValueError(f"the {kind} has nothing left to index after normalisation")
        # The kind prefix keeps a phone and a national id with the same digits apart.
        message = f"{kind}\x00{normalised}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def parse_key_ring(text: str) -> dict[str, bytes]:
    """``key_id:base64key,key_id:base64key`` into ``{key_id: key}``."""
    ring: dict[str, bytes] = {}
    for position, pair in enumerate((p.strip() for p in text.split(",")), start=1):
        if not pair:
            continue
        key_id, separator, encoded = pair.partition(":")
        key_id = key_id.strip()
        if not separator or not key_id:
            raise KeyConfigurationError(
                f"entry {position} of the field encryption keys is not key_id:base64key"
            )
        if key_id in ring:
            raise KeyConfigurationError(f"key id {key_id!r} appears twice in the key ring")
        try:
            ring[key_id] = _b64decode(encoded.strip())
        except (binascii.Error, ValueError):
            raise KeyConfigurationError(f"key {key_id!r} is not valid base64") from None
    return ring


def parse_blind_index_key(text: str) -> bytes:
    try:
        return _b64decode(text.strip())
    except (binascii.Error, ValueError):
        raise KeyConfigurationError("the blind index key is not valid base64") from None


class FieldEncryptionSettings(Protocol):
    """The three settings a service with encrypted fields has (read-only here)."""

    @property
    def field_encryption_keys(self) -> SecretStr: ...

    @property
    def field_encryption_active_key(self) -> str: ...

    @property
    def blind_index_key(self) -> SecretStr: ...


def field_crypto(settings: FieldEncryptionSettings) -> tuple[FieldCipher, BlindIndex]:
    """The cipher and blind index the settings describe; raises KeyConfigurationError."""
    cipher = FieldCipher(
        parse_key_ring(settings.field_encryption_keys.get_secret_value()),
        settings.field_encryption_active_key,
    )
    index = BlindIndex(parse_blind_index_key(settings.blind_index_key.get_secret_value()))
    return cipher, index


def holds_local_development_key(key_ring: str) -> bool:
    """True when the key ring holds the published local-development field key, compared by
    key material, not by id, so renaming the local key does not hide it."""
    return any(
        hmac.compare_digest(key, _LOCAL_FIELD_KEY) for key in parse_key_ring(key_ring).values()
    )


def uses_local_default_keys(settings: FieldEncryptionSettings) -> bool:
    """True when any key in use is one of the published local-development keys."""
    index_key = parse_blind_index_key(settings.blind_index_key.get_secret_value())
    return holds_local_development_key(
        settings.field_encryption_keys.get_secret_value()
    ) or hmac.compare_digest(index_key, _LOCAL_BLIND_INDEX_KEY)
