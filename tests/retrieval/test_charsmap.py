"""The hand-built Darts trie must read back exactly as SentencePiece / tokenizers read it."""

from __future__ import annotations

import struct

from tokenizers import normalizers

from retrieval.embedding.charsmap import build_double_array, precompiled_charsmap


def lookup(units: list[int], key: bytes) -> int | None:
    """Darts-clone exact match, as written in darts.h."""
    position = units[0] >> 10
    for byte in key:
        position ^= byte
        unit = units[position]
        if unit & ((1 << 31) | 0xFF) != byte:
            return None
        position ^= (unit >> 10) << ((unit & (1 << 9)) >> 6)
    value_unit = units[position]
    return value_unit & 0x7FFFFFFF if value_unit >> 31 else None


def test_every_key_is_found_and_others_are_not() -> None:
    keys = sorted({chr(c).encode() for c in range(0x20, 0x3000, 3)} | {b"ab", b"abc", b"b"})
    units = build_double_array(keys, list(range(len(keys))))
    for value, key in enumerate(keys):
        assert lookup(units, key) == value
    assert lookup(units, b"zz-not-there") is None
    # Keys that share a prefix with stored ones but are not stored themselves.
    absent = {chr(c).encode() for c in range(0x20, 0x3000)} - set(keys)
    assert all(lookup(units, key) is None for key in absent)
    assert len(units) % 256 == 0


def test_tokenizers_reads_the_charsmap() -> None:
    table = {"Ａ": "A", "ﬁ": "fi", "\x07": "", "①": "1"}
    blob = precompiled_charsmap(table)
    (size,) = struct.unpack_from("<I", blob)
    assert blob[4 + size :].count(b"\x00") == len(table)
    normaliser = normalizers.Precompiled(blob)
    assert normaliser.normalize_str("Ａ ﬁ\x07x ①") == "A fix 1"
