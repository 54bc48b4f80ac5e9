"""Index build, validation, atomic publication, snapshots and the embedding cache."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from retrieval.corpus.ingest import CorpusIngestor
from retrieval.corpus.store import CorpusStore
from retrieval.embedding.embedders import HashingEmbedder
from retrieval.index import POINTER, EmbeddingCache, IndexBuildError, IndexPublisher


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_passages(texts)


@pytest.fixture
def publisher(sessions, tmp_path: Path) -> IndexPublisher:
    return IndexPublisher(tmp_path / "indexes", CorpusStore(sessions), EmbeddingCache(sessions))


def test_build_publish_and_load(sessions, corpus_dir: Path, publisher: IndexPublisher) -> None:
    CorpusIngestor(sessions).ingest(corpus_dir)
    embedder = CountingEmbedder()
    report = publisher.build(embedder)
    snapshot = publisher.load_current()
    db_count = CorpusStore(sessions).current_version().passage_count
    assert report.manifest.passage_count == db_count == len(snapshot.passages)
    assert snapshot.dense.base.ntotal == db_count and snapshot.dense.dim == embedder.dim
    assert publisher.is_current(embedder)
    assert (publisher.root / POINTER).read_text().strip() == report.directory.name
    with pytest.raises(ValueError):
        snapshot.dense.slots[0] = 1  # snapshots are read-only
    with pytest.raises(TypeError):
        snapshot.sources["x"] = None  # type: ignore[index]


def test_reload_embeds_only_new_passages(sessions, corpus_dir: Path, publisher) -> None:
    ingestor = CorpusIngestor(sessions)
    ingestor.ingest(corpus_dir)
    embedder = CountingEmbedder()
    first = publisher.build(embedder)
    assert first.embedded == first.manifest.passage_count
    assert publisher.build(embedder).embedded == 0  # same corpus: all from the cache
    target = next(corpus_dir.glob("001_*.txt"))
    target.write_text(target.read_text().replace("但为什么这么多喧嚣？", "但为什么有这么多喧嚣？"))
    ingestor.ingest(corpus_dir)
    assert publisher.build(embedder).embedded == 1


def test_a_replica_caching_the_same_embeddings_meanwhile_does_no_harm(
    sessions, corpus_dir: Path
) -> None:
    CorpusIngestor(sessions).ingest(corpus_dir)
    _, _, passages = CorpusStore(sessions).snapshot()
    cache = EmbeddingCache(sessions)

    class Racing(CountingEmbedder):
        def embed_passages(self, texts: list[str]) -> np.ndarray:
            # Another replica, started at the same moment, stores the same vectors first.
            EmbeddingCache(sessions).vectors(HashingEmbedder(), passages)
            return super().embed_passages(texts)

    embedder = Racing()
    vectors, embedded = cache.vectors(embedder, passages)
    assert embedded == embedder.embedded == len({p.content_hash for p in passages})
    again, embedded_again = cache.vectors(CountingEmbedder(), passages)
    assert embedded_again == 0 and np.array_equal(vectors, again)


def test_failed_build_keeps_the_old_index(
    sessions, corpus_dir: Path, publisher, monkeypatch
) -> None:
    ingestor = CorpusIngestor(sessions)
    ingestor.ingest(corpus_dir)
    embedder = HashingEmbedder()
    good = publisher.build(embedder)
    target = next(corpus_dir.glob("001_*.txt"))
    target.write_text(target.read_text().replace("但为什么这么多喧嚣？", "但为什么有这么多喧嚣？"))
    ingestor.ingest(corpus_dir)

    def corrupt(self, snapshot, embedder, expected_passages):
        raise IndexBuildError("passage abc is not found by its own text")

    monkeypatch.setattr(IndexPublisher, "validate", corrupt)
    with pytest.raises(IndexBuildError):
        publisher.build(embedder)
    assert publisher.load_current().directory == good.directory
    assert not [p for p in publisher.root.iterdir() if p.name.endswith(".tmp")]


def test_validation_rejects_a_wrong_index(sessions, corpus_dir: Path, publisher) -> None:
    CorpusIngestor(sessions).ingest(corpus_dir)
    embedder = HashingEmbedder()
    publisher.build(embedder)
    snapshot = publisher.load_current()
    with pytest.raises(IndexBuildError, match="vectors for"):
        publisher.validate(snapshot, embedder, expected_passages=len(snapshot.passages) + 1)
    with pytest.raises(IndexBuildError, match="dimension"):
        publisher.validate(snapshot, HashingEmbedder(dim=64), len(snapshot.passages))


def test_unreadable_index_is_an_error(tmp_path: Path, sessions) -> None:
    root = tmp_path / "indexes"
    (root / "v1-broken").mkdir(parents=True)
    (root / POINTER).write_text("v1-broken\n")
    publisher = IndexPublisher(root, CorpusStore(sessions), EmbeddingCache(sessions))
    with pytest.raises(IndexBuildError, match="unreadable"):
        publisher.load_current()


@pytest.mark.parametrize("damage", ["overwrite", "truncate"])
@pytest.mark.parametrize("file", ["dense.faiss", "bm25/data.csc.index.npy", "names.json"])
def test_a_corrupt_index_is_rebuilt_not_served(
    sessions, corpus_dir: Path, tmp_path: Path, file: str, damage: str
) -> None:
    from retrieval.answers.engine import AnswerEngine
    from retrieval.index import load_snapshot_dir

    store = CorpusStore(sessions)

    def engine() -> AnswerEngine:
        publisher = IndexPublisher(tmp_path / "indexes", store, EmbeddingCache(sessions))
        return AnswerEngine(
            store, CorpusIngestor(sessions), publisher, HashingEmbedder(), corpus_dir
        )

    first = engine()
    first.start()
    question = "why was Opus 3.5 not released?"
    before = [q.passage_id for q in first.ask(question).quotes]
    path = first.snapshot.directory / file
    data = bytearray(path.read_bytes())
    if damage == "overwrite":
        data[-64:] = bytes(64)  # bytes that still parse: only a checksum can tell
    else:
        data = data[: len(data) // 2]
    path.write_bytes(bytes(data))
    with pytest.raises(IndexBuildError, match=r"corrupt|unreadable"):
        load_snapshot_dir(first.snapshot.directory)

    restarted = engine()  # a restart, or another replica loading it
    restarted.start()
    assert restarted.snapshot.directory != first.snapshot.directory
    assert [q.passage_id for q in restarted.ask(question).quotes] == before


def engine_at(sessions, corpus_dir: Path, indexes: Path):
    from retrieval.answers.engine import AnswerEngine

    store = CorpusStore(sessions)
    publisher = IndexPublisher(indexes, store, EmbeddingCache(sessions))
    return AnswerEngine(store, CorpusIngestor(sessions), publisher, HashingEmbedder(), corpus_dir)


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00\x81binary", b"../../etc\n", b""])
def test_a_garbage_pointer_is_a_missing_build(
    sessions, corpus_dir: Path, tmp_path: Path, garbage: bytes
) -> None:
    first = engine_at(sessions, corpus_dir, tmp_path / "indexes")
    first.start()
    (tmp_path / "indexes" / POINTER).write_bytes(garbage)
    restarted = engine_at(sessions, corpus_dir, tmp_path / "indexes")
    restarted.start()  # rebuilt from the database, not a UnicodeDecodeError
    assert restarted.snapshot.directory != first.snapshot.directory
    assert (tmp_path / "indexes" / POINTER).read_text().strip() == restarted.snapshot.directory.name
    assert restarted.build_failure is None


@pytest.fixture
def read_only(tmp_path: Path):
    """Makes a directory read-only for real (a read-only bind mount; needs root), undone after."""
    mounted: list[Path] = []

    def make(directory: Path) -> None:
        for args in (
            ["mount", "--bind", str(directory), str(directory)],
            ["mount", "-o", "remount,ro,bind", str(directory)],
        ):
            result = subprocess.run(args, capture_output=True)
            if result.returncode != 0:
                pytest.skip(f"cannot make a read-only mount here: {result.stderr.decode()}")
            if not mounted:
                mounted.append(directory)

    yield make
    for directory in mounted:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def _new_version_in_the_database(sessions, corpus_dir: Path) -> None:
    """A source added and ingested elsewhere (another replica, the CLI): the database moves on."""
    (corpus_dir / "999_new.md").write_text(
        "---\ntitle: Orion 的新消息\noutlet: Example Wire\n---\n\n"
        "据报道，Orion 的训练在 2024 年遇到了新的困难，发布时间再次推迟。\n",
        encoding="utf-8",
    )
    CorpusIngestor(sessions).ingest(corpus_dir)


def test_a_restart_on_a_read_only_index_serves_what_is_on_disk(
    sessions, corpus_dir: Path, tmp_path: Path, read_only
) -> None:
    indexes = tmp_path / "indexes"
    first = engine_at(sessions, corpus_dir, indexes)
    first.start()
    served = first.snapshot.version
    _new_version_in_the_database(sessions, corpus_dir)
    read_only(indexes)
    with pytest.raises(OSError):
        (indexes / "probe").write_text("x")  # really read-only

    restarted = engine_at(sessions, corpus_dir, indexes)
    restarted.start()  # no OSError: the intact snapshot on disk is served
    assert restarted.snapshot.version == served
    assert restarted.build_failure and "Read-only" in restarted.build_failure
    assert restarted.ask("why was Opus 3.5 not released?").quotes


def test_a_refresh_whose_build_fails_says_nothing_changed(
    sessions, corpus_dir: Path, tmp_path: Path, read_only
) -> None:
    indexes = tmp_path / "indexes"
    serving = engine_at(sessions, corpus_dir, indexes)
    serving.start()
    served = serving.snapshot.version
    _new_version_in_the_database(sessions, corpus_dir)
    read_only(indexes)

    # The server's poll logs "now serving" and restarts translation only on True.
    assert serving.refresh() is False
    assert serving.snapshot.version == served
    assert serving.build_failure and "Read-only" in serving.build_failure
