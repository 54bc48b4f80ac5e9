"""EmbeddingGemma-300M for ONNX Runtime: the assembled sentence-transformers folder exported
once (transformer, mean pooling, its two dense layers, normalisation) and its weights stored
in 8-bit blocks (`onnx_export`), each step checked against sentence-transformers.

Why not torch at run time: one short query takes ~73 ms in torch float32 on two cores, ~47 ms
in ONNX Runtime float32 and ~38 ms with 8-bit weights, which also take 0.5 GB instead of
1.2 GB (docs/performance.md). Torch is needed only here, once.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedding.embedders import OnnxEmbedder
from retrieval.embedding.gemma_parts import FOLDER_NAME, ensure_assembled
from retrieval.embedding.onnx_export import eight_bit_weights, export_embedder

log = logging.getLogger(__name__)

MODEL_ID = "EmbeddingGemma-300M (google/embeddinggemma-300m, 8-bit ONNX)"
ONNX_FILE = "onnx/model-q8.onnx"
# The prompts of the model's own config (config_sentence_transformers.json): retrieval queries,
# and documents without a title.
QUERY_PROMPT = "task: search result | query: "
DOCUMENT_PROMPT = "title: none | text: "
# Two questions compared with each other (`rumorbot gaps`): on 50 labelled pairs about the same
# names, this prompt separates paraphrases better than the retrieval one (docs/quality.md).
SIMILARITY_PROMPT = "task: sentence similarity | query: "
PAD_ID, PAD_TOKEN = 0, "<pad>"
MAX_TOKENS = 1024
PROBES = [
    QUERY_PROMPT + "why was Opus 3.5 not released?",
    DOCUMENT_PROMPT + "OpenAI仍然没有启动GPT-5的预训练。奥特曼表示，公司正在做很多其他事情。",
]
# Float32 ONNX against sentence-transformers (the same arithmetic), and 8-bit weights against
# float32 (measured ≥ 0.9996 on questions and passages).
EXPORT_AGREES, EIGHT_BIT_AGREES = 0.9999, 0.999


class GemmaConversionError(RuntimeError):
    pass


def embedder(folder: Path) -> OnnxEmbedder:
    return OnnxEmbedder(
        folder,
        MODEL_ID,
        ONNX_FILE,
        prefixes=(QUERY_PROMPT, DOCUMENT_PROMPT),
        pad=(PAD_ID, PAD_TOKEN),
        max_tokens=MAX_TOKENS,
        similarity_prefix=SIMILARITY_PROMPT,
    )


def ensure_converted(model_dir: Path, parts_dir: Path | None = None) -> Path:
    """The model folder with its checked 8-bit ONNX model, assembling and converting once if
    needed. Once converted, the folder serves without its float32 weights (an image may
    drop them): only the ONNX file and the tokenizer are read at run time."""
    folder = model_dir / FOLDER_NAME
    if (folder / ONNX_FILE).is_file() and (folder / "tokenizer.json").is_file():
        return folder
    folder = ensure_assembled(model_dir, parts_dir)
    log.info("exporting EmbeddingGemma-300M to ONNX with 8-bit weights (once)")
    export(folder)
    return folder


def export(folder: Path) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        str(folder),
        device="cpu",
        local_files_only=True,
        model_kwargs={"attn_implementation": "eager"},
    )
    reference = model.encode([p for p in PROBES], normalize_embeddings=True)
    # sentence-transformers' modules: the transformer, pooling, two dense layers, normalise.
    transformer: Any = model[0].auto_model
    first: Any = model[2].linear
    second: Any = model[3].linear
    window = int(transformer.config.sliding_window)

    class Embedding(torch.nn.Module):
        """Mean pooling, the two dense layers and normalisation after the transformer. The
        attention masks are built here from plain tensor operations (the library's builders
        cannot be traced): every layer attends both ways, the sliding ones within `window`
        tokens; padding is never attended to."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer, self.first, self.second = transformer, first, second

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            positions = torch.arange(input_ids.shape[1])
            near = (positions[:, None] - positions[None, :]).abs() < window
            keep = attention_mask[:, None, None, :].to(torch.bool)
            lowest = torch.finfo(torch.float32).min
            masks = {
                "full_attention": torch.where(keep, 0.0, lowest),
                "sliding_attention": torch.where(keep & near[None, None], 0.0, lowest),
            }
            hidden = self.transformer(input_ids=input_ids, attention_mask=masks)
            hidden = hidden.last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(self.second(self.first(pooled)), dim=-1)

    work = folder / f".onnx-{uuid.uuid4().hex}.tmp"
    work.mkdir()
    try:
        exported = work / Path(ONNX_FILE).name
        ids = torch.tensor([[2, 8071, 236787, 3927, 1]])
        export_embedder(Embedding().eval(), ids, exported)
        _check(work, reference, EXPORT_AGREES, "the float32 export")
        eight_bit_weights(exported, int(transformer.config.vocab_size))
        _check(work, reference, EIGHT_BIT_AGREES, "the 8-bit weights")
        target = folder / ONNX_FILE
        target.parent.mkdir(exist_ok=True)
        exported.replace(target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check(work: Path, reference: np.ndarray, least: float, what: str) -> None:
    """`work` holds the ONNX file under test; the tokenizer comes from its parent folder."""
    probe = OnnxEmbedder(
        work.parent,
        MODEL_ID,
        str(work.relative_to(work.parent) / Path(ONNX_FILE).name),
        prefixes=("", ""),
        pad=(PAD_ID, PAD_TOKEN),
        max_tokens=MAX_TOKENS,
    )
    cosines = np.sum(probe.embed_passages(PROBES) * reference, axis=1)
    if cosines.min() < least:
        raise GemmaConversionError(
            f"{what} disagree with sentence-transformers: cosines {cosines.round(5).tolist()}"
        )
