"""Migrations from empty to head, and models that agree with them, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import bot.store.tables  # noqa: F401  (the bot's tables join the metadata compared)
from retrieval.db.session import make_engine, upgrade
from retrieval.db.tables import Base

ROOT = Path(__file__).resolve().parents[2]


def test_upgrade_from_empty_and_models_match(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent at every start
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.postgres
def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    # Every replica upgrades at start, and a deployment starts them all at once. Processes,
    # as replicas are: Alembic's context is process-global.
    script = (
        "import sys; from retrieval.db.session import make_engine, upgrade;"
        " upgrade(make_engine(sys.argv[1]))"
    )
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    engine = make_engine(url)
    with engine.connect() as conn:
        assert len(conn.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
    engine.dispose()
