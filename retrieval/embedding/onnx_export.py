"""Exporting a sentence embedder to ONNX and running its weights in low-bit blocks, as ONNX
Runtime does: matrix products as `MatMulNBits`, the token embedding table as
`GatherBlockQuantized`. EmbeddingGemma's are stored here in 8-bit blocks of 32 values along the
inner dimension, each a float scale times -127..127 (stored + 128): a quarter of the float32
memory, and on two cores a fifth less time per query than float32, embeddings within cosine
0.9996 of them (docs/performance.md). multilingual-e5-small's arrive already in 4-bit blocks
(`e5_convert`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

BLOCK = 32
ZERO = 128  # the stored value of 0.0


def _blocks(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[rows, K] float32 → ([rows, K/32, 32] uint8, [rows, K/32] float32 scales)."""
    rows, inner = matrix.shape
    blocks = matrix.reshape(rows, inner // BLOCK, BLOCK)
    scales = np.abs(blocks).max(axis=2) / np.float32(127)
    safe = np.where(scales == 0, np.float32(1), scales)[..., None]
    q = np.clip(np.rint(blocks / safe), -127, 127).astype(np.int16) + ZERO
    return q.astype(np.uint8), scales.astype(np.float32)


def eight_bit_weights(path: Path, embedding_rows: int) -> tuple[int, bool]:
    """Rewrite the model at `path` in place: every MatMul whose second input is a float32
    [K, N] weight with K a multiple of 32 becomes MatMulNBits; the Gather that reads the
    [embedding_rows, d] table becomes GatherBlockQuantized. Returns (MatMuls rewritten,
    whether the table was)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    nodes, dropped, table = [], set(), False
    for node in graph.node:
        reads = {"MatMul": 1, "Gather": 0}.get(node.op_type)
        weight = weights.get(node.input[reads]) if reads is not None else None
        values = numpy_helper.to_array(weight) if weight is not None else None
        if (
            node.op_type == "MatMul"
            and weight is not None
            and values is not None
            and values.ndim == 2
            and values.dtype == np.float32
            and values.shape[0] % BLOCK == 0
        ):
            packed, scales = _blocks(np.ascontiguousarray(values.T))
            nodes.append(
                matmul_nbits(
                    graph, node, weight.name, values.shape, packed, scales.reshape(-1), 8, 4
                )
            )
            dropped.add(weight.name)
        elif (
            node.op_type == "Gather"
            and weight is not None
            and values is not None
            and values.ndim == 2
            and values.shape[0] == embedding_rows
            and values.shape[1] % BLOCK == 0
        ):
            packed, scales = _blocks(values.astype(np.float32))
            data, scale, zero = (
                f"{weight.name}.q8",
                f"{weight.name}.scales",
                f"{weight.name}.zero",
            )
            graph.initializer.extend(
                [
                    numpy_helper.from_array(packed.reshape(values.shape), data),
                    numpy_helper.from_array(scales, scale),
                    numpy_helper.from_array(np.full(scales.shape, ZERO, np.uint8), zero),
                ]
            )
            dropped.add(weight.name)
            table = True
            nodes.append(
                helper.make_node(
                    "GatherBlockQuantized",
                    [data, node.input[1], scale, zero],
                    list(node.output),
                    name=f"{node.name}.q8",
                    domain="com.microsoft",
                    gather_axis=0,
                    quantize_axis=1,
                    block_size=BLOCK,
                    bits=8,
                )
            )
        else:
            nodes.append(node)
    if dropped:
        save_rewritten(model, path, nodes, dropped)
    return len(dropped) - table, table


def export_embedder(module: Any, ids: Any, target: Path) -> None:
    """torch.onnx.export of an embedder taking (input_ids, attention_mask) to one normalised
    embedding per text, batch and length dynamic."""
    import torch

    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about shape-dependent branches it records as constants; the
        # comparison with sentence-transformers after the export says whether it is right.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (ids, torch.ones_like(ids)),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def matmul_nbits(
    graph: onnx.GraphProto,
    node: onnx.NodeProto,
    weight: str,
    shape: tuple[int, ...],
    packed: np.ndarray,
    scales: np.ndarray,
    bits: int,
    accuracy_level: int = 0,
) -> onnx.NodeProto:
    """The MatMulNBits that replaces `node` (a MatMul by the [K, N] float32 `weight`), its
    blocks `packed` and `scales` added to `graph`. `accuracy_level` 4: int8 arithmetic (on
    two cores a fifth less time than float32 for EmbeddingGemma's 8-bit weights)."""
    from onnx import helper, numpy_helper

    inner, outer = shape
    names = (f"{weight}.q{bits}", f"{weight}.scales")
    graph.initializer.extend(
        [numpy_helper.from_array(packed, names[0]), numpy_helper.from_array(scales, names[1])]
    )
    return helper.make_node(
        "MatMulNBits",
        [node.input[0], *names],
        list(node.output),
        name=f"{node.name}.q{bits}",
        domain="com.microsoft",
        K=inner,
        N=outer,
        bits=bits,
        block_size=BLOCK,
        accuracy_level=accuracy_level,
    )


def save_rewritten(
    model: onnx.ModelProto, path: Path, nodes: list[onnx.NodeProto], dropped: set[str]
) -> None:
    """Save `model` to `path` with `nodes` as its graph, without the `dropped` weights that
    no node reads any more."""
    import onnx
    from onnx import helper

    graph = model.graph
    still_used = {name for node in nodes for name in node.input}
    kept = [w for w in graph.initializer if w.name not in dropped or w.name in still_used]
    del graph.node[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(path))
