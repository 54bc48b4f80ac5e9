"""A SentencePiece "precompiled charsmap" built from a per-code-point normalisation table.

The `tokenizers` library's `Precompiled` normaliser reads the format SentencePiece writes:
a little-endian u32 byte length, a Darts-clone double-array trie whose keys are the UTF-8
bytes of a source character and whose values are offsets into the blob that follows, and
that blob of NUL-terminated replacement strings. This module builds the trie itself, so the
converter needs no compiled extension.
"""

from __future__ import annotations

import struct
from collections import deque

_OFFSET_LIMIT = 1 << 21  # offsets below this are stored directly in the unit


def _unit(label: int, offset: int, has_leaf: bool) -> int:
    if offset >= _OFFSET_LIMIT:
        raise ValueError("trie offset too large for the compact encoding")
    return (offset << 10) | (int(has_leaf) << 8) | label


def build_double_array(keys: list[bytes], values: list[int]) -> list[int]:
    """Darts-clone units for `keys` (no NUL bytes) mapping to `values` (< 2**31)."""
    trie: dict = {}
    for key, value in zip(keys, values, strict=True):
        if not key or b"\x00" in key:
            raise ValueError(f"unsupported key {key!r}")
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # None marks the leaf; it lives at label 0

    units: list[int] = [0]
    used = bytearray(1 << 16)
    used[0] = 1
    # Two nodes sharing a base would find each other's children: every base is used once.
    bases: set[int] = set()
    lowest_free = 1

    def ensure(size: int) -> None:
        nonlocal used
        if size > len(units):
            units.extend([0] * (size - len(units)))
        while size > len(used):
            used += bytearray(len(used))

    queue: deque[tuple[int, dict]] = deque([(0, trie)])
    while queue:
        position, node = queue.popleft()
        labels = sorted(0 if label is None else label for label in node)
        candidate = lowest_free
        while True:
            ensure(candidate + 256)
            base = candidate ^ labels[0]
            if (
                not used[candidate]
                and base not in bases
                and all((base ^ c) != 0 and not used[base ^ c] for c in labels)
                and (position ^ base) < _OFFSET_LIMIT
            ):
                break
            candidate += 1
        ensure((base | 0xFF) + 1)
        bases.add(base)
        offset = position ^ base
        label = units[position] & 0xFF
        units[position] = _unit(label, offset, None in node)
        for c in labels:
            used[base ^ c] = 1
        while used[lowest_free]:
            lowest_free += 1
        for key, child in node.items():
            if key is None:
                units[base] = child | (1 << 31)  # a value unit: bit 31 keeps it from matching
            else:
                units[base ^ key] = key  # label now, offset once the child is placed
                queue.append((base ^ key, child))
    # Lookups may probe anywhere in the last 256-unit block.
    units.extend([0] * (-len(units) % 256))
    return units


def precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """The `precompiled_charsmap` bytes for a {source character: replacement} table."""
    keys = sorted(k.encode() for k in mapping if k and "\x00" not in k)
    blob = bytearray()
    values = []
    for key in keys:
        values.append(len(blob))
        blob += mapping[key.decode()].encode() + b"\x00"
    units = build_double_array(keys, values)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)
