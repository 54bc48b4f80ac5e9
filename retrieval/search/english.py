"""The English side of the index: the passages' English renderings, searched by English
questions with e5 and with BM25 over stemmed English words (bm25s + Snowball).

Renderings land while the bot serves (translation runs in the background), so this side is
rebuilt apart from the Chinese index whenever new renderings are stored; a passage without a
rendering is ranked as before. Measured on this corpus (docs/retrieval.md):
BM25 over the renderings is the strongest single English ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import bm25s
import numpy as np

from retrieval.embedding.embedders import Embedder
from retrieval.index import EmbeddingCache, IndexSnapshot
from retrieval.text.english import english_tokens
from retrieval.translation.render import english_shown
from retrieval.translation.store import StoredRendering, text_hash


@dataclass(frozen=True)
class EnglishSide:
    """Renderings of one corpus version, as far as they have landed. Immutable."""

    version: int
    fingerprint: object
    renderings: Mapping[str, StoredRendering]  # by content hash: passages and titles
    rows: np.ndarray  # positions in the snapshot's passages that have a rendering
    vectors: np.ndarray  # e5 of each rendering, aligned with rows
    bm25: bm25s.BM25 | None
    # Partial renderings (an answer's key sentences first, the rest on its way): shown under
    # the quotes that wait for them, never searched.
    partial: Mapping[str, StoredRendering] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def empty(cls, version: int) -> EnglishSide:
        """No rendering has landed yet (or none is loaded for this version)."""
        none = np.zeros(0, dtype=int)
        return cls(version, None, MappingProxyType({}), none, none, None)

    def rendering(self, content_hash: str) -> StoredRendering | None:
        return self.renderings.get(content_hash)

    def quoted(
        self, content_hash: str, text: str, shown: str, key: str
    ) -> tuple[str | None, str | None, bool | None] | None:
        """What a quote of the passage `text` shows in English (`english_shown`: the English
        of `shown`, of its key sentence `key`, and whether it all passed the guard); None
        when the passage has no rendering yet."""
        rendering = self.rendering(content_hash) or self.partial.get(content_hash)
        return english_shown(rendering.segments, text, shown, key) if rendering else None

    def title(self, title: str) -> StoredRendering | None:
        return self.renderings.get(text_hash(title))

    def scores(self, question: str, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cosine and BM25 of the question against each rendering (aligned with rows)."""
        if not len(self.rows):
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        dense = self.vectors @ query
        tokens = [t for t in english_tokens(question) if t in self._vocab]
        if self.bm25 is None or not tokens:
            return dense, np.zeros(len(self.rows), np.float32)
        return dense, np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    @property
    def _vocab(self) -> Mapping[str, int]:
        return self.bm25.vocab_dict if self.bm25 is not None else {}


def bm25_text(snapshot: IndexSnapshot, position: int, renderings: Mapping[str, StoredRendering]):
    """A rendering plus who published it: English questions name outlets and authors."""
    passage = snapshot.passages[position]
    source = snapshot.sources[passage.source_id]
    title = renderings.get(text_hash(source.title))
    meta = [source.outlet, source.author, source.origin, title.english if title else None]
    return " ".join([renderings[passage.content_hash].english, *(m for m in meta if m)])


def build_english_side(
    snapshot: IndexSnapshot,
    renderings: Mapping[str, StoredRendering],
    embedder: Embedder,
    cache: EmbeddingCache,
    fingerprint: object = None,
    partial: Mapping[str, StoredRendering] | None = None,
) -> EnglishSide:
    rows = np.array(
        [i for i, p in enumerate(snapshot.passages) if p.content_hash in renderings], dtype=int
    )
    items = []
    for i in rows:
        english = renderings[snapshot.passages[i].content_hash].english
        items.append((text_hash(english), english))
    vectors, _ = cache.vectors_of(embedder, items)
    bm25 = None
    if len(rows):
        bm25 = bm25s.BM25()
        corpus = [english_tokens(bm25_text(snapshot, i, renderings)) or ["\u0000"] for i in rows]
        bm25.index(corpus, show_progress=False)
    vectors.setflags(write=False)
    return EnglishSide(
        snapshot.version,
        fingerprint,
        MappingProxyType(dict(renderings)),
        rows,
        vectors,
        bm25,
        MappingProxyType(dict(partial or {})),
    )
