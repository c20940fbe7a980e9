"""Field encryption (AES-GCM tokens) and blind indexes, without a database."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import SecretStr

from doorstep_shared.security.crypto import (
    LOCAL_DEVELOPMENT_BLIND_INDEX_KEY,
    LOCAL_DEVELOPMENT_FIELD_KEYS,
    LOCAL_DEVELOPMENT_KEY_ID,
    BlindIndex,
    DecryptionError,
    FieldCipher,
    KeyConfigurationError,
    MalformedTokenError,
    UnknownKeyError,
    field_crypto,
    is_token,
    parse_key_ring,
    uses_local_default_keys,
)

K1 = bytes(range(32))
K2 = bytes(range(32, 64))
PHONE = "+8613800138000"


def cipher(active: str = "k1", **keys: bytes) -> FieldCipher:
    return FieldCipher(keys or {"k1": K1}, active)


def flip_a_ciphertext_bit(token: str) -> str:
    version, key_id, payload = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[12] ^= 0x01  # first byte after the nonce
    return f"{version}.{key_id}.{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"


def test_a_value_round_trips_through_its_column() -> None:
    c = cipher()
    token = c.encrypt("Li Wei 李伟", column="customer.name")
    assert token.startswith("v1.k1.")
    assert "Li Wei" not in token
    assert c.decrypt(token, column="customer.name") == "Li Wei 李伟"
    assert c.key_id_of(token) == "k1"


def test_the_same_value_gives_a_different_token_each_time() -> None:
    c = cipher()
    tokens = {c.encrypt(PHONE, column="customer.phone") for _ in range(20)}
    assert len(tokens) == 20
    nonces = {base64.urlsafe_b64decode(t.split(".")[2] + "==")[:12] for t in tokens}
    assert len(nonces) == 20


def test_a_token_copied_into_another_column_fails() -> None:
    c = cipher()
    token = c.encrypt(PHONE, column="customer.phone")
    with pytest.raises(DecryptionError) as caught:
        c.decrypt(token, column="customer.email")
    assert PHONE not in str(caught.value)


def test_a_tampered_token_fails() -> None:
    c = cipher()
    token = c.encrypt(PHONE, column="customer.phone")
    with pytest.raises(DecryptionError):
        c.decrypt(flip_a_ciphertext_bit(token), column="customer.phone")


def test_a_token_whose_key_id_is_rewritten_fails() -> None:
    c = cipher("k1", k1=K1, k2=K2)
    token = c.encrypt(PHONE, column="customer.phone")
    with pytest.raises(DecryptionError):
        c.decrypt(token.replace("v1.k1.", "v1.k2.", 1), column="customer.phone")


def test_an_unknown_key_id_fails_clearly() -> None:
    old = cipher("old", old=K1)
    token = old.encrypt(PHONE, column="customer.phone")
    with pytest.raises(UnknownKeyError, match=r"'old'.*not in the key ring") as caught:
        cipher("new", new=K2).decrypt(token, column="customer.phone")
    assert PHONE not in str(caught.value)


def test_a_value_that_is_not_a_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(MalformedTokenError) as caught:
        cipher().decrypt(PHONE, column="customer.phone")
    assert PHONE not in str(caught.value)
    assert not is_token(PHONE)


def test_old_key_ids_still_decrypt_and_new_values_use_the_active_one() -> None:
    token = cipher("k1", k1=K1).encrypt("88 Century Avenue", column="customer.address_line1")
    ring = cipher("k2", k1=K1, k2=K2)
    assert ring.decrypt(token, column="customer.address_line1") == "88 Century Avenue"
    assert not ring.is_current(token)
    fresh = ring.encrypt("88 Century Avenue", column="customer.address_line1")
    assert ring.key_id_of(fresh) == "k2"
    assert ring.is_current(fresh)


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ({}, "k1", "empty"),
        ({"k1": b"short"}, "k1", "32 bytes"),
        ({"k.1": K1}, "k.1", "key ids"),
        ({"k1": K1}, "k2", "not in the field encryption key ring"),
    ],
)
def test_bad_key_rings_are_refused(keys: dict[str, bytes], active: str, message: str) -> None:
    with pytest.raises(KeyConfigurationError, match=message):
        FieldCipher(keys, active)


def test_the_key_ring_setting_parses_and_never_echoes_key_material() -> None:
    k1, k2 = base64.b64encode(K1).decode(), base64.urlsafe_b64encode(K2).decode().rstrip("=")
    assert parse_key_ring(f" k1:{k1} , k2:{k2},") == {"k1": K1, "k2": K2}
    with pytest.raises(KeyConfigurationError) as caught:
        parse_key_ring(f"k1:{k1}!!")
    assert k1 not in str(caught.value)
    with pytest.raises(KeyConfigurationError, match="not key_id:base64key"):
        parse_key_ring(k1)
    with pytest.raises(KeyConfigurationError, match="twice"):
        parse_key_ring(f"k1:{k1},k1:{k1}")


def test_the_blind_index_is_stable_and_normalises() -> None:
    index = BlindIndex(K1)
    assert (
        index.phone(PHONE)
        == index.phone("+86 138-0013-8000")
        == index.phone(" +86 (138) 0013 8000")
    )
    assert index.phone(PHONE) != index.phone("+8613800138001")
    assert index.national_id("ab 12-34-56c") == index.national_id("AB123456C")
    assert index.national_id("AB123456C") != index.national_id("AB123456D")
    assert len(index.phone(PHONE)) == 64
    assert int(index.phone(PHONE), 16) >= 0  # hex


def test_an_unparseable_phone_is_indexed_by_its_digits_and_plus() -> None:
    index = BlindIndex(K1)
    assert index.phone("+1 (000) 00-00") == index.phone("+10000000")
    assert index.phone("0012 345") == index.phone("0012345")
    assert index.phone("0012345") != index.phone("+0012345")


def test_different_index_keys_and_kinds_give_different_indexes() -> None:
    assert BlindIndex(K1).phone(PHONE) != BlindIndex(K2).phone(PHONE)
    assert BlindIndex(K1).phone("12345678") != BlindIndex(K1).national_id("12345678")
    with pytest.raises(KeyConfigurationError):
        BlindIndex(b"too short")


class _Keys:
    def __init__(self, ring: str, active: str, index: str) -> None:
        self.field_encryption_keys = SecretStr(ring)
        self.field_encryption_active_key = active
        self.blind_index_key = SecretStr(index)


def test_local_default_keys_are_detected_by_their_material() -> None:
    own_ring = f"prod-1:{base64.b64encode(os.urandom(32)).decode()}"
    own_index = base64.b64encode(os.urandom(32)).decode()
    defaults = _Keys(LOCAL_DEVELOPMENT_FIELD_KEYS, LOCAL_DEVELOPMENT_KEY_ID, own_index)
    assert uses_local_default_keys(defaults)
    renamed = LOCAL_DEVELOPMENT_FIELD_KEYS.replace(LOCAL_DEVELOPMENT_KEY_ID, "mine", 1)
    assert uses_local_default_keys(_Keys(f"{own_ring},{renamed}", "prod-1", own_index))
    assert uses_local_default_keys(_Keys(own_ring, "prod-1", LOCAL_DEVELOPMENT_BLIND_INDEX_KEY))
    own = _Keys(own_ring, "prod-1", own_index)
    assert not uses_local_default_keys(own)
    field_cipher, _ = field_crypto(own)
    assert field_cipher.active_key_id == "prod-1"
    assert "prod-1" in repr(field_cipher)
    assert own_ring.split(":")[1] not in repr(field_cipher)
