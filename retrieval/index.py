"""Dense index per corpus version: built, validated, published by an atomic pointer swap.

A published index is a directory holding everything a searcher needs about one corpus
version (FAISS index, passage texts, source metadata, manifest). Searchers load it into an
immutable `IndexSnapshot`, so a query never mixes two versions, and a failed or corrupt build
never replaces what is being served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType

import faiss
import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from retrieval.corpus.store import CorpusStore, PassageRow, SourceInfo
from retrieval.embedding import Embedder
from retrieval.lexical import BM25Index, normalise
from retrieval.models import Embedding

log = logging.getLogger(__name__)

POINTER = "CURRENT"
# Measured (benchmarks/bench.py, 100k synthetic passages, 2 cores): a flat scan takes ~15 ms
# per query, HNSW (M=32, efSearch=512) ~3 ms at recall@10 0.97, IVF1024 loses too much
# recall. A flat scan costs ~0.15 ms per 1,000 passages, so it stays exact below 20k.
HNSW_THRESHOLD = 20_000
HNSW_EF_SEARCH = 512
KEEP_BUILDS = 3
INDEX_FILES = ("dense.faiss", "vectors.npy", "passages.json", "sources.json")


class IndexBuildError(RuntimeError):
    """The index could not be built or loaded; whatever was published before stays served."""


@dataclass(frozen=True)
class IndexManifest:
    corpus_version: int
    model_id: str
    dim: int
    passage_count: int
    index_type: str
    built_at: str
    # sha256 of every other file of the build, checked at every load: overwritten or
    # truncated bytes are found, not served. A manifest without them is rebuilt.
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexSnapshot:
    """Everything one corpus version needs to answer; never mutated once built."""

    directory: Path
    manifest: IndexManifest
    passages: tuple[PassageRow, ...]
    sources: Mapping[str, SourceInfo]
    vectors: np.ndarray
    dense: faiss.Index
    lexical: BM25Index
    corpus_text: str = field(repr=False)

    @property
    def version(self) -> int:
        return self.manifest.corpus_version


_INSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


class EmbeddingCache:
    """Passage embeddings by content hash and model id, in the database (shared by replicas)."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def vectors(self, embedder: Embedder, passages: list[PassageRow]) -> tuple[np.ndarray, int]:
        """Vectors in passage order, and how many had to be embedded now."""
        return self.vectors_of(embedder, [(p.content_hash, p.text) for p in passages])

    def vectors_of(
        self, embedder: Embedder, items: list[tuple[str, str]]
    ) -> tuple[np.ndarray, int]:
        """Vectors of (content hash, text) items in order, and how many were embedded now."""
        hashes = list(dict.fromkeys(h for h, _ in items))
        found: dict[str, np.ndarray] = {}
        with self.sessions() as session:
            for chunk in _chunks(hashes, 500):
                rows = session.execute(
                    select(Embedding.content_hash, Embedding.vector).where(
                        Embedding.model_id == embedder.model_id,
                        Embedding.content_hash.in_(chunk),
                        Embedding.dim == embedder.dim,
                    )
                )
                for content_hash, blob in rows:
                    found[content_hash] = np.frombuffer(blob, dtype="<f4")
        texts = dict(items)
        missing = [h for h in hashes if h not in found]
        if missing:
            fresh = embedder.embed_passages([texts[h] for h in missing])
            rows = [
                {
                    "content_hash": h,
                    "model_id": embedder.model_id,
                    "dim": embedder.dim,
                    "vector": np.asarray(v, dtype="<f4").tobytes(),
                }
                for h, v in zip(missing, fresh, strict=True)
            ]
            with self.sessions.begin() as session:
                # Replicas starting together embed the same passages; the first write wins.
                insert = _INSERT[session.get_bind().dialect.name]
                session.execute(insert(Embedding).on_conflict_do_nothing(), rows)
            found.update(zip(missing, fresh, strict=True))
        if not items:
            return np.zeros((0, embedder.dim), dtype=np.float32), 0
        return np.stack([found[h] for h, _ in items]).astype(np.float32), len(missing)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def make_faiss_index(vectors: np.ndarray) -> tuple[faiss.Index, str]:
    dim = vectors.shape[1]
    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "hnsw32"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(vectors):
        index.add(vectors)
    return index, kind


def _source_to_json(source: SourceInfo) -> dict:
    data = asdict(source)
    data["published"] = source.published.isoformat() if source.published else None
    return data


def _source_from_json(data: dict) -> SourceInfo:
    published = date.fromisoformat(data["published"]) if data.get("published") else None
    return SourceInfo(**{**data, "published": published})


@dataclass
class BuildReport:
    directory: Path
    manifest: IndexManifest
    embedded: int
    duration_s: float


class IndexPublisher:
    """Builds the index of the current corpus version and publishes it under `root`."""

    def __init__(self, root: Path, store: CorpusStore, cache: EmbeddingCache):
        self.root = root
        self.store = store
        self.cache = cache

    def current_manifest(self) -> IndexManifest | None:
        try:
            directory = self.root / (self.root / POINTER).read_text().strip()
            return IndexManifest(**json.loads((directory / "manifest.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def is_current(self, embedder: Embedder) -> bool:
        manifest = self.current_manifest()
        version = self.store.current_version()
        return (
            manifest is not None
            and version is not None
            and manifest.corpus_version == version.id
            and manifest.model_id == embedder.model_id
            and set(manifest.checksums) == set(INDEX_FILES)
        )

    def build(self, embedder: Embedder) -> BuildReport:
        started = time.perf_counter()
        version, sources, passages = self.store.snapshot()
        if version is None:
            raise IndexBuildError("the corpus is empty: nothing to index")
        vectors, embedded = self.cache.vectors(embedder, passages)
        dense, kind = make_faiss_index(vectors)
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"v{version.id}-{uuid.uuid4().hex[:8]}"
        work = self.root / f".{name}.tmp"
        work.mkdir()
        try:
            faiss.write_index(dense, str(work / "dense.faiss"))
            np.save(work / "vectors.npy", vectors)
            (work / "passages.json").write_text(
                json.dumps([asdict(p) for p in passages], ensure_ascii=False)
            )
            (work / "sources.json").write_text(
                json.dumps([_source_to_json(s) for s in sources], ensure_ascii=False)
            )
            manifest = IndexManifest(
                corpus_version=version.id,
                model_id=embedder.model_id,
                dim=embedder.dim,
                passage_count=len(passages),
                index_type=kind,
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                checksums={f: _sha256(work / f) for f in INDEX_FILES},
            )
            (work / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
            snapshot = load_snapshot_dir(work)
            self.validate(snapshot, embedder, expected_passages=len(passages))
            os.replace(work, self.root / name)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        self._publish(name)
        return BuildReport(self.root / name, manifest, embedded, time.perf_counter() - started)

    def validate(self, snapshot: IndexSnapshot, embedder: Embedder, expected_passages: int) -> None:
        m = snapshot.manifest
        if (
            snapshot.dense.ntotal != expected_passages
            or len(snapshot.passages) != expected_passages
        ):
            raise IndexBuildError(
                f"index holds {snapshot.dense.ntotal} vectors for {expected_passages} passages"
            )
        if snapshot.dense.d != embedder.dim or m.dim != embedder.dim:
            raise IndexBuildError(f"index dimension {snapshot.dense.d} != model's {embedder.dim}")
        if expected_passages:
            probe = snapshot.passages[len(snapshot.passages) // 2]
            vector = embedder.embed_passages([probe.text])
            _, ids = snapshot.dense.search(np.asarray(vector, dtype=np.float32), 3)
            found = {snapshot.passages[i].id for i in ids[0] if i >= 0}
            if probe.id not in found:
                raise IndexBuildError(f"passage {probe.id} is not found by its own text")

    def _publish(self, name: str) -> None:
        tmp = self.root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(name + "\n")
        os.replace(tmp, self.root / POINTER)  # atomic: readers see the old or the new name
        builds = sorted(
            (p for p in self.root.iterdir() if p.is_dir() and p.name.startswith("v")),
            key=lambda p: p.stat().st_mtime,
        )
        for old in builds[:-KEEP_BUILDS]:
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def load_current(self) -> IndexSnapshot:
        try:
            name = (self.root / POINTER).read_text().strip()
        except OSError as exc:
            raise IndexBuildError(f"no published index under {self.root}") from exc
        return load_snapshot_dir(self.root / name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_snapshot_dir(directory: Path) -> IndexSnapshot:
    try:
        manifest = IndexManifest(**json.loads((directory / "manifest.json").read_text()))
        for file, expected in manifest.checksums.items():
            if _sha256(directory / file) != expected:
                raise IndexBuildError(f"index at {directory} is corrupt: {file} changed")
        passages = tuple(
            PassageRow(**p) for p in json.loads((directory / "passages.json").read_text())
        )
        sources = {
            s.id: s
            for s in map(_source_from_json, json.loads((directory / "sources.json").read_text()))
        }
        dense = faiss.read_index(str(directory / "dense.faiss"))
        vectors = np.load(directory / "vectors.npy")
    except IndexBuildError:
        raise
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise IndexBuildError(f"index at {directory} is unreadable: {exc}") from exc
    if dense.ntotal != len(passages) or len(vectors) != len(passages):
        raise IndexBuildError(f"index at {directory} is inconsistent")
    lexical = BM25Index([f"{p.heading or ''}\n{p.text}" for p in passages])
    corpus_text = normalise(
        "\n".join(
            [
                *(f"{p.heading or ''}\n{p.text}" for p in passages),
                *(s.title for s in sources.values()),
            ]
        )
    )
    vectors.setflags(write=False)
    return IndexSnapshot(
        directory,
        manifest,
        passages,
        MappingProxyType(sources),
        vectors,
        dense,
        lexical,
        corpus_text,
    )
