"""notifier's declarative base and the shared outbox / inbox tables in its own database."""

from __future__ import annotations

from doorstep_shared.db.base import SharedBase, new_metadata
from doorstep_shared.messaging.inbox import define_inbox_table
from doorstep_shared.messaging.outbox import define_outbox_table


class Base(SharedBase):
    __abstract__ = True
    metadata = new_metadata()


outbox_table = define_outbox_table(Base.metadata)
inbox_table = define_inbox_table(Base.metadata)
