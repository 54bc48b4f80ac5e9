"""Ingest into a real database (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from retrieval.corpus.ingest import CorpusIngestor, IngestError
from retrieval.corpus.store import CorpusStore
from retrieval.db.tables import CorpusVersion, Passage


@pytest.fixture
def ingestor(sessions) -> CorpusIngestor:
    return CorpusIngestor(sessions, max_file_bytes=200_000)


def passage_ids(sessions) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with sessions() as session:
        for p in session.scalars(select(Passage)):
            out.setdefault(p.source_id, set()).add(p.id)
    return out


def test_seed_corpus_titles_and_dates(ingestor, sessions, corpus_dir: Path) -> None:
    report = ingestor.ingest(corpus_dir)
    assert report.has_changes and len(report.added) == 5 and not report.skipped
    sources = {s.id[:3]: s for s in CorpusStore(sessions).sources()}
    assert sources["002"].title.startswith("最佳拍档")
    assert "This Rumor About GPT-5 Changes Everything" in sources["002"].title
    assert sources["002"].kind == "transcript" and sources["002"].published is None
    assert sources["003"].published == date(2025, 8, 3)
    assert sources["004"].published == date(2023, 6, 8)
    assert sources["000"].outlet == "AI PM 编辑部"
    assert all(s.passage_count > 0 for s in sources.values())


def test_unchanged_reingest_changes_nothing(ingestor, sessions, corpus_dir: Path) -> None:
    first = ingestor.ingest(corpus_dir)
    before = passage_ids(sessions)
    second = ingestor.ingest(corpus_dir)
    assert not second.has_changes
    assert second.passages_added == second.passages_removed == 0
    assert passage_ids(sessions) == before
    assert CorpusStore(sessions).current_version().id == first.version_id


def test_changed_file_changes_only_its_passages(ingestor, sessions, corpus_dir: Path) -> None:
    ingestor.ingest(corpus_dir)
    before = passage_ids(sessions)
    target = next(corpus_dir.glob("003_*.txt"))
    target.write_text(
        target.read_text().replace(
            "<p>这就进一步点燃了我们对GPT-5的狂热期待。</p>",
            "<p>新增的一段内容，用来测试只有这一段会变化，而其余段落保持原样。</p>",
        )
    )
    report = ingestor.ingest(corpus_dir)
    assert report.changed == [target.name] and not report.added and not report.removed
    after = passage_ids(sessions)
    for source_id, ids in before.items():
        if source_id != target.name:
            assert after[source_id] == ids
    assert 1 <= len(after[target.name] - before[target.name]) <= 2
    assert len(before[target.name] - after[target.name]) <= 2


def test_removed_file(ingestor, sessions, corpus_dir: Path) -> None:
    ingestor.ingest(corpus_dir)
    victim = next(corpus_dir.glob("000_*.txt"))
    victim.unlink()
    report = ingestor.ingest(corpus_dir)
    assert report.removed == [victim.name]
    assert victim.name not in passage_ids(sessions)


def test_bad_files_are_skipped_and_others_ingest(ingestor, sessions, corpus_dir: Path) -> None:
    (corpus_dir / "empty.txt").write_text("")
    (corpus_dir / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (corpus_dir / "latin1.txt").write_bytes(
        "caf\xe9 cr\xe8me br\xfbl\xe9e ".encode("latin-1") * 3 + b"\xff\xfe"
    )
    (corpus_dir / "huge.txt").write_text("长" * 100_000)
    (corpus_dir / "fm.md").write_text(
        "---\ntitle: [oops\n---\n\n一段正文，内容足够长，可以作为一个独立的段落被引用出来。\n"
    )
    (corpus_dir / ".hidden.txt").write_text("hidden")
    (corpus_dir / "draft.txt~").write_text("backup")
    (corpus_dir / ".notes.txt.swp").write_bytes(b"\x00swap")
    unreadable = corpus_dir / "secret.txt"
    unreadable.write_text("secret")
    unreadable.chmod(0)
    report = ingestor.ingest(corpus_dir)
    reasons = {s.file: s.reason for s in report.skipped}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["image.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "cap" in reasons["huge.txt"]
    if os.geteuid() != 0:  # root reads anything
        assert "unreadable" in reasons["secret.txt"]
    for ignored in (".hidden.txt", "draft.txt~", ".notes.txt.swp"):
        assert ignored not in reasons and ignored not in report.added
    assert "fm.md" in report.added
    assert any("fm.md" in w and "malformed front matter" in w for w in report.warnings)
    assert sum(name.startswith("00") for name in report.added) == 5


def test_a_file_that_turns_bad_keeps_its_previous_version(
    ingestor, sessions, corpus_dir: Path
) -> None:
    ingestor.ingest(corpus_dir)
    before = passage_ids(sessions)
    target = next(corpus_dir.glob("004_*.txt"))
    target.write_bytes(b"\x00\x01binary now")
    report = ingestor.ingest(corpus_dir)
    assert target.name in {s.file for s in report.skipped}
    assert target.name not in report.removed
    assert passage_ids(sessions) == before


def test_failure_mid_ingest_keeps_previous_version(
    ingestor, sessions, corpus_dir: Path, monkeypatch
) -> None:
    first = ingestor.ingest(corpus_dir)
    before = passage_ids(sessions)
    for path in corpus_dir.glob("00*.txt"):
        path.write_text(
            path.read_text() + "\n\n追加的一段新内容，让每个文件都发生变化，从而触发重写。\n"
        )
    calls = {"n": 0}
    original = CorpusIngestor._write_source

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CorpusIngestor, "_write_source", failing)
    with pytest.raises(IngestError, match="disk on fire"):
        ingestor.ingest(corpus_dir)
    assert passage_ids(sessions) == before
    store = CorpusStore(sessions)
    assert store.current_version().id == first.version_id
    with sessions() as session:
        statuses = [
            v.status for v in session.scalars(select(CorpusVersion).order_by(CorpusVersion.id))
        ]
    assert statuses == ["changed", "failed"]


def test_missing_corpus_dir(ingestor, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        ingestor.ingest(tmp_path / "nope")
