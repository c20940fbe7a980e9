"""Customers and loan accounts as core banking last reported them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from doorstep_case_api.db import Base
from doorstep_shared.db.types import UtcDateTime


class Customer(Base):
    """Personal data lives only here (and is served only to authorised callers).

    Columns typed ``Text`` below hold encrypted tokens (see ``accounts/personal_data.py``, the
    only code that reads or writes them). Plain text on purpose: ``external_id`` (the bank's
    key for upserts), ``region`` and ``country`` (coarse, used by case filters), ``timezone``
    and ``preferred_language`` (contact windows and templates).
    """

    __tablename__ = "customer"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    national_id_index: Mapped[str | None] = mapped_column(String(64), index=True)
    address_line1: Mapped[str | None] = mapped_column(Text)
    address_line2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[str | None] = mapped_column(Text)
    longitude: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Not identifying, and every channel needs it: kept in plain JSON.
    contact_preferences: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=text("'{}'"))
    preferred_language: Mapped[str] = mapped_column(String(16))
    # Keyed digest of the customer as last reported: a feed that repeats it unchanged skips
    # re-encrypting and rewriting the row.
    snapshot_digest: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Account(Base):
    __tablename__ = "account"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    product: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    last_as_of_date: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IntakeBatchChunk(Base):
    """One applied chunk of a delinquency batch, committed with the chunk's changes: a replay
    of the same batch id returns these results instead of applying the records again."""

    __tablename__ = "intake_batch_chunk"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunk_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the chunk's records: the same batch id with other records is refused.
    digest: Mapped[str] = mapped_column(String(64))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
