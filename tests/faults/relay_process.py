"""A standalone outbox relay for ``test_relay_kills``: ``python -m tests.faults.relay_process
DATABASE_URL BOOTSTRAP BATCH_SIZE``. The scenario kills it with SIGKILL at random points."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import MetaData

from doorstep_shared.db.engine import create_engine
from doorstep_shared.messaging.outbox import OutboxRelay, define_outbox_table
from doorstep_shared.settings import ServiceSettings


async def main(database_url: str, bootstrap: str, batch_size: int) -> None:
    settings = ServiceSettings.model_validate(
        {
            "database_url": database_url,
            "kafka_bootstrap_servers": bootstrap,
            "kafka_send_timeout_seconds": 3,
            "outbox_poll_interval_seconds": 0.05,
            "outbox_batch_size": batch_size,
        }
    )
    engine = create_engine(database_url)
    relay = OutboxRelay(engine, define_outbox_table(MetaData()), settings, "fault-relay")
    await relay.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
