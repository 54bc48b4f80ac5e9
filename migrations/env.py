"""Alembic environment: runs against the engine rumorbot hands over in `config.attributes`."""

from alembic import context
from sqlalchemy import create_engine, text

from retrieval.models import Base

config = context.config
target_metadata = Base.metadata
# Replicas started together each upgrade at start; on PostgreSQL the first to take this lock
# migrates and the others wait, then find the schema at head (DDL is transactional there).
MIGRATION_LOCK_KEY = 0x72756D6F72_01


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
