"""Engine creation and schema migrations (Alembic, applied at start)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Update,
    and_,
    create_engine,
    event,
    or_,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker

from retrieval.models import utcnow

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# PostgreSQL advisory lock keys; any constants work, as long as every replica uses the same.
INGEST_LOCK = 0x52554D4F52
MIGRATION_LOCK = 0x52554D4F52_01


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets readers keep reading the old corpus while an ingest writes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def lock_replicas(connection: Connection, key: int) -> None:
    """Serialise this transaction with the same work on other replicas (PostgreSQL; SQLite
    already allows a single writer). Released at commit or rollback."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to head; safe to call at every start."""
    command.upgrade(alembic_config(engine), "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def claim(sessions: sessionmaker[Session], row: DeclarativeBase, takeover: Update) -> bool:
    """Claim a piece of work once across processes and replicas: insert `row` (its primary key
    names the work); if it exists, run `takeover`, an UPDATE that matches only a claim its
    holder abandoned. True for the one caller that now holds the claim."""
    try:
        with sessions.begin() as session:
            session.add(row)
        return True
    except IntegrityError:
        pass
    with sessions.begin() as session:
        return session.execute(takeover).rowcount == 1


def left_behind(
    owner_column: InstrumentedAttribute,
    claimed_at: InstrumentedAttribute,
    owner: str,
    stale: timedelta,
) -> ColumnElement[bool]:
    """A claim no live process holds: taken longer ago than `stale`, or by an earlier run of
    this replica (`owner` is "<replica>:<run>"; the earlier run was killed or restarted)."""
    replica = owner.split(":", 1)[0]
    return or_(
        claimed_at < utcnow() - stale,
        and_(owner_column.like(f"{replica}:%"), owner_column != owner),
    )
