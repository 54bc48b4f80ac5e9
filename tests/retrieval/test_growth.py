"""What keeps reloads and questions cheap as the corpus grows: builds that start from the last
one, a lexical index saved with the snapshot, and a name lookup instead of text scans."""

from __future__ import annotations

import re
from pathlib import Path

import bm25s
import numpy as np
import pytest

import retrieval.corpus.ingest as ingest_module
import retrieval.index.bm25 as bm25_module
import retrieval.index.dense as dense_module
from retrieval.answers.engine import AnswerEngine
from retrieval.answers.evaluation import load_questions
from retrieval.corpus.ingest import CorpusIngestor
from retrieval.corpus.store import CorpusStore
from retrieval.embedding.embedders import HashingEmbedder
from retrieval.index import EmbeddingCache, IndexBuildError, IndexPublisher, load_snapshot_dir
from retrieval.index.bm25 import BM25Index
from retrieval.index.snapshot import checksums
from retrieval.search.analysis import analyse
from retrieval.search.expansion import QueryExpander
from retrieval.text.tokens import normalise, tokenize

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"
QUESTIONS = [
    "Why was Opus 3.5 not released?",
    "What is the universal verifier?",
    "gpt2-chatbot 是谁做的",
    "What did Altman say about GPT-5?",
]


@pytest.fixture
def publisher(sessions, tmp_path: Path) -> IndexPublisher:
    return IndexPublisher(tmp_path / "indexes", CorpusStore(sessions), EmbeddingCache(sessions))


def _top(snapshot, embedder, question: str) -> list[str]:
    vector = embedder.embed_queries([question])[0]
    return [snapshot.passages[i].id for i in snapshot.dense.search(vector, 10)]


def _fresh_top(sessions, tmp_path: Path, embedder, name: str) -> dict[str, list[str]]:
    """Top passages of a build made from nothing (a new root), for comparison."""
    fresh = IndexPublisher(tmp_path / name, CorpusStore(sessions), EmbeddingCache(sessions))
    snapshot = fresh.build(embedder).snapshot
    assert snapshot.dense.dead == 0
    return {q: _top(snapshot, embedder, q) for q in QUESTIONS}


@pytest.mark.parametrize("kind", ["flat", "hnsw32"])
def test_a_build_carries_the_last_one_forward(
    sessions, corpus_dir: Path, publisher: IndexPublisher, tmp_path: Path, monkeypatch, kind
) -> None:
    if kind == "hnsw32":  # the seed corpus as if it were past a flat scan's size
        monkeypatch.setattr(dense_module, "HNSW_THRESHOLD", 50)
    ingestor = CorpusIngestor(sessions)
    embedder = HashingEmbedder()
    ingestor.ingest(corpus_dir)
    first = publisher.build(embedder)
    total = first.manifest.passage_count
    assert first.rebuilt_dense and first.tokenised == total
    assert first.manifest.index_type == kind

    # Change one passage of one file: one passage embedded and tokenised, nothing rebuilt.
    target = next(corpus_dir.glob("001_*.txt"))
    target.write_text(target.read_text().replace("但为什么这么多喧嚣？", "但为什么有这么多喧嚣？"))
    parsed = []
    real_parse = ingest_module.parse_document
    monkeypatch.setattr(
        ingest_module,
        "parse_document",
        lambda name, text: parsed.append(name) or real_parse(name, text),
    )
    ingestor.ingest(corpus_dir)
    assert parsed == [target.name]  # the other files' hashes matched: not parsed again
    changed = publisher.build(embedder, served=first.snapshot)
    assert not changed.rebuilt_dense
    assert (changed.embedded, changed.tokenised) == (1, 1)
    dense = changed.snapshot.dense
    assert (dense.base.ntotal, dense.added.ntotal, dense.dead) == (total, 1, 1)
    # The served snapshot's base is shared, not read again or changed, and linked on disk.
    assert dense.base is first.snapshot.dense.base and first.snapshot.dense.added.ntotal == 0
    base_files = [d / "dense.faiss" for d in (first.directory, changed.directory)]
    assert base_files[0].stat().st_ino == base_files[1].stat().st_ino
    assert {q: _top(changed.snapshot, embedder, q) for q in QUESTIONS} == _fresh_top(
        sessions, tmp_path, embedder, "fresh-1"
    )

    # Add a file: only its passages are new.
    added = corpus_dir / "005_added.md"
    added.write_text("# 新文章\n\n据报道，Orion 的训练在 2024 年底遇到了瓶颈，数据不足。\n")
    ingestor.ingest(corpus_dir)
    grown = publisher.build(embedder)
    assert not grown.rebuilt_dense and grown.embedded == grown.tokenised == 1
    assert grown.manifest.passage_count == total + 1

    # Remove a small file: nothing embedded or tokenised; its passages never come back.
    added.unlink()
    ingestor.ingest(corpus_dir)
    shrunk = publisher.build(embedder)
    assert not shrunk.rebuilt_dense and shrunk.embedded == shrunk.tokenised == 0
    assert shrunk.snapshot.dense.dead == 2
    ids = {p.id for p in shrunk.snapshot.passages}
    vector = embedder.embed_queries(["Orion 的训练遇到了瓶颈"])[0]
    found = shrunk.snapshot.dense.search(vector, len(ids) + 10)
    assert len(found) == len(ids) and {shrunk.snapshot.passages[i].id for i in found} == ids
    assert {q: _top(shrunk.snapshot, embedder, q) for q in QUESTIONS} == _fresh_top(
        sessions, tmp_path, embedder, "fresh-2"
    )


def test_many_removed_passages_rebuild_the_dense_index(
    sessions, corpus_dir: Path, publisher: IndexPublisher
) -> None:
    ingestor = CorpusIngestor(sessions)
    ingestor.ingest(corpus_dir)
    publisher.build(HashingEmbedder())
    for path in sorted(corpus_dir.glob("00*.txt"))[:2]:
        path.unlink()
    ingestor.ingest(corpus_dir)
    report = publisher.build(HashingEmbedder())
    assert report.rebuilt_dense and report.snapshot.dense.dead == 0
    assert report.tokenised == 0  # the remaining passages' terms were still cached


def test_a_corrupt_published_base_is_built_afresh_not_linked(
    sessions, corpus_dir: Path, publisher: IndexPublisher
) -> None:
    ingestor = CorpusIngestor(sessions)
    embedder = HashingEmbedder()
    ingestor.ingest(corpus_dir)
    first = publisher.build(embedder)
    base = first.directory / "dense.faiss"
    data = bytearray(base.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte among the vectors: still readable
    base.write_bytes(bytes(data))
    target = next(corpus_dir.glob("001_*.txt"))
    target.write_text(target.read_text().replace("但为什么这么多喧嚣？", "但为什么有这么多喧嚣？"))
    ingestor.ingest(corpus_dir)
    report = publisher.build(embedder, served=first.snapshot)
    assert report.rebuilt_dense
    assert load_snapshot_dir(report.directory).dense.base.ntotal == report.manifest.passage_count


def test_a_reload_that_changes_nothing_rebuilds_nothing(
    sessions, corpus_dir: Path, tmp_path
) -> None:
    store = CorpusStore(sessions)
    publisher = IndexPublisher(tmp_path / "indexes", store, EmbeddingCache(sessions))
    engine = AnswerEngine(store, CorpusIngestor(sessions), publisher, HashingEmbedder(), corpus_dir)
    engine.start()
    root = publisher.root
    before = {d.name: checksums(d) for d in root.iterdir() if d.is_dir()}
    report = engine.reload(triggered_by="test")
    assert report.build is None and not report.ingest.has_changes
    assert {d.name: checksums(d) for d in root.iterdir() if d.is_dir()} == before


def test_the_lexical_index_round_trips_with_the_same_scores(
    tmp_path: Path, corpus_dir, monkeypatch
) -> None:
    texts = [p.read_text() for p in sorted(corpus_dir.glob("0*.txt"))]
    texts = [para for text in texts for para in text.split("\n\n") if para.strip()]
    tokens = [tokenize(t) for t in texts]
    built = BM25Index.from_tokens(tokens)
    monkeypatch.setattr(bm25_module, "BUILD_CHUNK", 7)  # scored in chunks: the same numbers
    chunked = BM25Index.from_tokens(tokens)
    built.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    # bm25s's own indexing of the same tokens: the array build computes its numbers.
    library = bm25s.BM25()
    library.index([t or ["\u0000"] for t in tokens], show_progress=False)
    for question in ["Opus 3.5 为什么没有发布", "Orion 预训练 失败", "gpt2-chatbot", "通用验证器"]:
        query = tokenize(question)
        scores = built.scores(query)
        assert scores.max() > 0
        np.testing.assert_array_equal(loaded.scores(query), scores)
        np.testing.assert_array_equal(chunked.scores(query), scores)
        known = [t for t in query if t in library.vocab_dict]
        np.testing.assert_allclose(library.get_scores(known), scores, rtol=1e-6)
    assert loaded.idf("预训练") == built.idf("预训练") and loaded.in_corpus("gpt2-chatbot")


def test_a_corrupt_lexical_index_is_rejected_at_load(
    sessions, corpus_dir: Path, publisher: IndexPublisher
) -> None:
    CorpusIngestor(sessions).ingest(corpus_dir)
    snapshot = publisher.build(HashingEmbedder()).snapshot
    vocab = snapshot.directory / "bm25" / "vocab.index.json"
    vocab.write_text(vocab.read_text().replace('"gpt', '"gqt', 1))  # still valid JSON
    with pytest.raises(IndexBuildError, match="corrupt"):
        load_snapshot_dir(snapshot.directory)


class TextScan:
    """The lookup as it was: every form searched for in all the corpus's text."""

    def __init__(self, snapshot):
        self.lexical = snapshot.lexical
        self.text = normalise(
            "\n".join(
                [
                    *(f"{p.heading or ''}\n{p.text}" for p in snapshot.passages),
                    *(s.title for s in snapshot.sources.values()),
                ]
            )
        )

    def mentions(self, form: str) -> bool:
        return form in self.text

    def names_versions(self, word: str) -> bool:
        return re.search(rf"\b{re.escape(word.lower())}[\s-]?\d", self.text) is not None


@pytest.mark.skipif(not DEV.exists(), reason=f"{DEV} is not beside the project")
def test_the_name_lookup_matches_the_old_scan_on_the_dev_questions(
    sessions, corpus_dir: Path, publisher: IndexPublisher
) -> None:
    CorpusIngestor(sessions).ingest(corpus_dir)
    snapshot = publisher.build(HashingEmbedder()).snapshot
    scan, expander = TextScan(snapshot), QueryExpander()
    questions = [q.question for q in load_questions(DEV)]
    questions += ["Is GPT-7 out?", "What about Llama 4 and Opus 3.5?", "Did Mark Chen leave?"]
    compared = 0
    for question in questions:
        new, old = analyse(question, snapshot.names, expander), analyse(question, scan, expander)
        assert (new.entities, new.missing_entities, new.missing_versions) == (
            old.entities,
            old.missing_entities,
            old.missing_versions,
        ), question
        compared += len(new.entities)
    assert compared > len(questions) // 2  # the questions do name things
