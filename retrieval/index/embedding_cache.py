"""Passage embeddings by content hash and model id, in the database (shared by replicas)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from retrieval.corpus.store import PassageRow
from retrieval.db.tables import Embedding
from retrieval.embedding.embedders import Embedder

_INSERT: dict[str, Any] = {"postgresql": pg_insert, "sqlite": sqlite_insert}


class EmbeddingCache:
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
            fresh_rows = [
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
                session.execute(insert(Embedding).on_conflict_do_nothing(), fresh_rows)
            found.update(zip(missing, fresh, strict=True))
        if not items:
            return np.zeros((0, embedder.dim), dtype=np.float32), 0
        return np.stack([found[h] for h, _ in items]).astype(np.float32), len(missing)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
