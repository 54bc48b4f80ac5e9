"""Alembic environment: runs against the engine rumorbot hands over in `config.attributes`."""

from alembic import context
from sqlalchemy import create_engine

import bot.store.tables  # noqa: F401  (the Slack app's tables join the corpus tables' metadata)
from retrieval.db.session import MIGRATION_LOCK, lock_replicas
from retrieval.db.tables import Base

config = context.config
# One metadata, one history: the corpus tables and the Slack app's own.
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        # Replicas started together each upgrade at start: the first to take the lock
        # migrates, the others wait, then find the schema at head (DDL is transactional).
        lock_replicas(connection, MIGRATION_LOCK)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
