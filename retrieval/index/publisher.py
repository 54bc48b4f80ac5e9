"""Index per corpus version: built from the last one, validated, published by a pointer swap.

A published index is a directory holding everything a searcher needs about one corpus
version (dense and lexical indexes, the name lookup, passage texts, source metadata, a
manifest with checksums). Searchers load it into an immutable `IndexSnapshot`, so a query
never mixes two versions, and a failed or corrupt build never replaces what is served.

A build starts from the published one: the dense index keeps the vectors of the passages
still there (`dense.build_dense`), and each passage's tokens and names are taken from the
last build's term cache, so only new or changed passages are embedded and tokenised.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from retrieval.corpus.store import CorpusStore, PassageRow, SourceInfo
from retrieval.embedding.embedders import Embedder
from retrieval.index.bm25 import BM25Index
from retrieval.index.dense import (
    DENSE_FILES,
    INDEX_FILE,
    DenseIndex,
    build_dense,
    passage_key,
)
from retrieval.index.embedding_cache import EmbeddingCache
from retrieval.index.names import save_names
from retrieval.index.snapshot import (
    INDEX_FORMAT,
    LEXICAL_DIR,
    PASSAGES_FILE,
    SOURCES_FILE,
    IndexBuildError,
    IndexManifest,
    IndexSnapshot,
    assemble,
    checksums,
    load_snapshot_dir,
    source_to_json,
    verify,
    write_passages,
)
from retrieval.index.terms import TERMS_DIR, TermCache, terms_key

log = logging.getLogger(__name__)

POINTER = "CURRENT"
BUILD_NAME = re.compile(r"v\d+-[0-9a-f]{8}")  # what `build` names a published build
KEEP_BUILDS = 3


@dataclass
class BuildReport:
    directory: Path
    manifest: IndexManifest
    embedded: int
    duration_s: float
    snapshot: IndexSnapshot
    rebuilt_dense: bool = True  # False: the last build's dense index was carried forward
    tokenised: int = 0  # passages whose terms were not cached


class IndexPublisher:
    """Builds the index of the current corpus version and publishes it under `root`."""

    def __init__(self, root: Path, store: CorpusStore, cache: EmbeddingCache):
        self.root = root
        self.store = store
        self.cache = cache

    def _current_dir(self) -> Path | None:
        """The published build's directory; None when there is none or the pointer is not
        one this publisher wrote (binary garbage, a path elsewhere): then it is rebuilt."""
        try:
            name = (self.root / POINTER).read_text().strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not BUILD_NAME.fullmatch(name):
            log.warning("ignoring an index pointer that names no build: %r", name[:80])
            return None
        return self.root / name

    def current_manifest(self) -> IndexManifest | None:
        directory = self._current_dir()
        try:
            return IndexManifest.read(directory) if directory else None
        except (OSError, ValueError, TypeError):
            return None

    def is_current(self, embedder: Embedder) -> bool:
        manifest = self.current_manifest()
        version = self.store.current_version()
        return (
            manifest is not None
            and version is not None
            and manifest.corpus_version == version.id
            and _fits(manifest, embedder)
        )

    def _previous(
        self, embedder: Embedder, served: IndexSnapshot | None
    ) -> tuple[DenseIndex | None, TermCache, Path | None]:
        """What the published build lends the next: its dense index (the served snapshot's
        when that is the published build: its base is shared, not read again), its term
        cache, and its directory. Nothing when it is of another model or format or fails
        its checksums: then all is built afresh."""
        manifest, directory = self.current_manifest(), self._current_dir()
        if directory is None or manifest is None or not _fits(manifest, embedder):
            return None, TermCache(), None
        try:
            # The dense files too when the served snapshot lends its index: the build links
            # the base file rather than writing it again.
            verify(directory, manifest, only=(*DENSE_FILES, TERMS_DIR))
            shared = served is not None and served.directory == directory
            dense = served.dense if served is not None and shared else DenseIndex.load(directory)
            return dense, TermCache.load(directory), directory
        except (IndexBuildError, OSError, ValueError, KeyError, RuntimeError) as exc:
            log.warning("building afresh: the published index lends nothing (%s)", exc)
            return None, TermCache(), None

    def build(self, embedder: Embedder, served: IndexSnapshot | None = None) -> BuildReport:
        """`served`: the snapshot this process serves, whose parts the build may share."""
        started = time.perf_counter()
        version, sources, passages = self.store.snapshot(served.passages if served else ())
        if version is None:
            raise IndexBuildError("the corpus is empty: nothing to index")
        previous, cache, previous_dir = self._previous(embedder, served)
        embedded = 0

        def vectors_of(positions: list[int]):
            nonlocal embedded
            vectors, embedded = self.cache.vectors(embedder, [passages[i] for i in positions])
            return vectors

        keys = [passage_key(p.id, p.content_hash) for p in passages]
        dense, rebuilt = build_dense(keys, embedder.dim, vectors_of, previous)
        del previous  # one read from disk and not carried forward is freed now
        lexical, names, cache = _lexical_side(cache, passages, sources)

        self.root.mkdir(parents=True, exist_ok=True)
        name = f"v{version.id}-{uuid.uuid4().hex[:8]}"
        work = self.root / f".{name}.tmp"
        work.mkdir()
        try:
            dense.save(work, None if rebuilt or previous_dir is None else previous_dir / INDEX_FILE)
            lexical.save(work / LEXICAL_DIR)
            save_names(work, names)
            cache.save(work)
            write_passages(work / PASSAGES_FILE, passages)
            (work / SOURCES_FILE).write_text(
                json.dumps([source_to_json(s) for s in sources], ensure_ascii=False)
            )
            manifest = IndexManifest(
                corpus_version=version.id,
                model_id=embedder.model_id,
                dim=embedder.dim,
                passage_count=len(passages),
                index_type=dense.kind,
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                checksums=checksums(work),
                format=INDEX_FORMAT,
            )
            manifest.write(work)
            del lexical  # served memory-mapped from its files, as after a restart
            snapshot = assemble(work, manifest, tuple(passages), {s.id: s for s in sources}, dense)
            self.validate(snapshot, embedder, expected_passages=len(passages))
            os.replace(work, self.root / name)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        snapshot = replace(snapshot, directory=self.root / name)  # its open files moved too
        self._publish(name)
        return BuildReport(
            self.root / name,
            manifest,
            embedded,
            time.perf_counter() - started,
            snapshot,
            rebuilt,
            cache.tokenised,
        )

    def validate(self, snapshot: IndexSnapshot, embedder: Embedder, expected_passages: int) -> None:
        m = snapshot.manifest
        if len(snapshot.dense.slots) != expected_passages or len(snapshot.passages) != (
            expected_passages
        ):
            raise IndexBuildError(
                f"index holds {len(snapshot.dense.slots)} vectors for {expected_passages} passages"
            )
        if snapshot.dense.dim != embedder.dim or m.dim != embedder.dim:
            raise IndexBuildError(f"index dimension {snapshot.dense.dim} != model's {embedder.dim}")
        if expected_passages:
            probe = snapshot.passages[len(snapshot.passages) // 2]
            vector = embedder.embed_passages([probe.text])
            found = {snapshot.passages[i].id for i in snapshot.dense.search(vector[0], 3)}
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

    def load_servable(self, embedder: Embedder) -> IndexSnapshot | None:
        """The published snapshot, whatever its corpus version, if it is of this embedder and
        format and loads intact; else None."""
        manifest = self.current_manifest()
        if manifest is None or not _fits(manifest, embedder):
            return None
        try:
            return self.load_current()
        except (IndexBuildError, OSError, ValueError) as exc:
            log.warning("the published index cannot be served either (%s)", exc)
            return None

    def load_current(self) -> IndexSnapshot:
        directory = self._current_dir()
        if directory is None:
            raise IndexBuildError(f"no published index under {self.root}")
        return load_snapshot_dir(directory)


def _lexical_side(
    cache: TermCache, passages: list[PassageRow], sources: list[SourceInfo]
) -> tuple[BM25Index, list[str], TermCache]:
    """BM25 over the passages, the name lookup's terms, and the term cache for the next build
    (its `tokenised`: how many passages this build tokenised)."""
    text_keys = [terms_key(p.heading, p.text) for p in passages]
    per_passage = [
        cache.terms(key, p.heading, p.text) for key, p in zip(text_keys, passages, strict=True)
    ]
    tokenised = cache.tokenised
    title_keys = [terms_key(None, s.title) for s in sources]
    titles = [cache.terms(key, None, s.title) for key, s in zip(title_keys, sources, strict=True)]
    lexical = BM25Index.from_counts([(t.tokens, t.counts) for t in per_passage], cache.vocab)
    # The name lookup: Latin names of passages and titles, and the titles' tokens (the
    # passages' tokens are the lexical index's own).
    ids = np.concatenate([t.names for t in [*per_passage, *titles]] + [t.tokens for t in titles])
    names = [cache.vocab[i] for i in np.unique(ids).tolist()]
    kept = cache.kept([*text_keys, *title_keys])
    kept.tokenised = tokenised
    return lexical, names, kept


def _fits(manifest: IndexManifest, embedder: Embedder) -> bool:
    """Whether a published build is of this embedder and of this index format."""
    return manifest.model_id == embedder.model_id and manifest.format == INDEX_FORMAT
