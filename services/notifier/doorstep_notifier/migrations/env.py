from alembic import context

from doorstep_notifier import models  # noqa: F401  (registers every table on the metadata)
from doorstep_notifier.db import Base
from doorstep_shared.db.migrations import run_env

run_env(Base.metadata, context.config.get_main_option("sqlalchemy.url") or "")
