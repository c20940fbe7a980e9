"""The one place customer personal data is encrypted, decrypted and blind-indexed.

Everything else handles ``PersonalData`` (plain values) or the ORM row's tokens, never both:
so a new reader of a customer cannot forget to decrypt, and a new writer cannot forget to
encrypt or to keep the blind indexes in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from doorstep_case_api.accounts.models import Customer
from doorstep_shared.security.crypto import (
    LOCAL_DEVELOPMENT_BLIND_INDEX_KEY,
    LOCAL_DEVELOPMENT_FIELD_KEYS,
    LOCAL_DEVELOPMENT_KEY_ID,
    BlindIndex,
    FieldCipher,
    is_token,
    parse_blind_index_key,
    parse_key_ring,
)

# Each value is bound to "customer.<column>" as associated data.
ENCRYPTED_COLUMNS: tuple[str, ...] = (
    "name",
    "phone",
    "email",
    "national_id",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "latitude",
    "longitude",
)
_COORDINATES = frozenset({"latitude", "longitude"})


@dataclass(frozen=True, repr=False)
class PersonalData:
    """A customer's decrypted personal data."""

    name: str
    phone: str | None = None
    email: str | None = None
    national_id: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def __repr__(self) -> str:  # keeps values out of logs and tracebacks
        return "PersonalData(<redacted>)"


def _as_text(column: str, value: str | float) -> str:
    if column not in _COORDINATES:
        return str(value)
    # repr() of a float is the shortest text that reads back as the same float.
    return repr(_coordinate(column, str(value)))


class PersonalDataCodec:
    def __init__(self, cipher: FieldCipher, index: BlindIndex) -> None:
        self._cipher = cipher
        self._index = index

    @classmethod
    def local_development(cls) -> PersonalDataCodec:
        """Under the published local-development keys: for tests and scripts, never served."""
        return cls(
            FieldCipher(parse_key_ring(LOCAL_DEVELOPMENT_FIELD_KEYS), LOCAL_DEVELOPMENT_KEY_ID),
            BlindIndex(parse_blind_index_key(LOCAL_DEVELOPMENT_BLIND_INDEX_KEY)),
        )

    def phone_index(self, phone: str) -> str:
        return self._index.phone(phone)

    def national_id_index(self, national_id: str) -> str:
        return self._index.national_id(national_id)

    def snapshot_digest(self, canonical: str) -> str:
        """Keyed, so the digest of a customer's data cannot be guessed from the data."""
        return self._index.record("customer-snapshot", canonical)

    def encrypt(self, data: PersonalData) -> dict[str, str | None]:
        """Customer column values: a fresh token per value, and the two blind indexes."""
        columns: dict[str, str | None] = {}
        for column in ENCRYPTED_COLUMNS:
            value: str | float | None = getattr(data, column)
            columns[column] = None if value is None else self._seal(column, value)
        columns["phone_index"] = self._index.phone(data.phone) if data.phone else None
        columns["national_id_index"] = (
            self._index.national_id(data.national_id) if data.national_id else None
        )
        return columns

    def decrypt(self, customer: Customer) -> PersonalData:
        def read(column: str) -> str | None:
            stored = _stored(customer, column)
            return None if stored is None else self._cipher.decrypt(stored, column=_ad(column))

        return PersonalData(
            name=read("name") or "",
            phone=read("phone"),
            email=read("email"),
            national_id=read("national_id"),
            address_line1=read("address_line1"),
            address_line2=read("address_line2"),
            postal_code=read("postal_code"),
            city=read("city"),
            latitude=_coordinate("latitude", read("latitude")),
            longitude=_coordinate("longitude", read("longitude")),
        )

    def rotated(self, customer: Customer) -> dict[str, str | None]:
        """The columns to rewrite so the row is current; empty when it already is.

        Current means: every value a token under the active key id, and both blind indexes
        computed with the present index key. Values that are not tokens yet (rows written
        before migration 0003) are taken as plaintext and encrypted.
        """
        changes: dict[str, str | None] = {}
        for column in ENCRYPTED_COLUMNS:
            stored = _stored(customer, column)
            if stored is None or self._cipher.is_current(stored):
                continue
            changes[column] = self._seal(column, self._legacy_or_open(customer, column))
        phone = self._legacy_or_open(customer, "phone") if customer.phone else None
        national_id = (
            self._legacy_or_open(customer, "national_id") if customer.national_id else None
        )
        expected = {
            "phone_index": self._index.phone(phone) if phone else None,
            "national_id_index": self._index.national_id(national_id) if national_id else None,
        }
        for column, index in expected.items():
            if getattr(customer, column) != index:
                changes[column] = index
        return changes

    def _seal(self, column: str, value: str | float) -> str:
        return self._cipher.encrypt(_as_text(column, value), column=_ad(column))

    def _legacy_or_open(self, customer: Customer, column: str) -> str:
        stored = _stored(customer, column) or ""
        if is_token(stored):
            return self._cipher.decrypt(stored, column=_ad(column))
        return stored


def _ad(column: str) -> str:
    return f"customer.{column}"


def _stored(customer: Customer, column: str) -> str | None:
    # A row from before migration 0003 may still hand back a float from SQLite's old REAL
    # coordinates; anything stored is text from here on.
    value: object = getattr(customer, column)
    return None if value is None else str(value)


def _coordinate(column: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"customer.{column} does not hold a number") from None
