"""The scheduler's declarative base and the shared messaging tables, in its own database."""

from __future__ import annotations

from doorstep_shared.audit import define_audit_table
from doorstep_shared.db.base import SharedBase, new_metadata
from doorstep_shared.messaging.inbox import define_inbox_table
from doorstep_shared.messaging.outbox import define_outbox_table
from doorstep_shared.messaging.parking import define_parking_table
from doorstep_shared.security.api_keys import define_api_key_table


class Base(SharedBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_table = define_outbox_table(Base.metadata)
inbox_table = define_inbox_table(Base.metadata)
parking_table = define_parking_table(Base.metadata)
api_key_table = define_api_key_table(Base.metadata)
audit_table = define_audit_table(Base.metadata)
