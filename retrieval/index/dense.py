"""The dense side of a snapshot: passage vectors in FAISS, carried from version to version.

Vectors live in slots. A new corpus version keeps the slots of the passages it still has,
appends slots for new or changed passages, and leaves the slots of removed passages dead:
a selector keeps them out of every search. A slot's key is its passage's id and content
hash, so a passage whose text changed gets a new slot. Once dead slots pass a share of the
index, or the corpus outgrows a flat scan, the index is built afresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

# Measured (benchmarks/bench.py, 100k synthetic passages, 2 cores): a flat scan takes ~15 ms
# per query, HNSW (M=32, efSearch=512) ~3 ms at recall@10 0.97, IVF1024 loses too much
# recall. A flat scan costs ~0.15 ms per 1,000 passages, so it stays exact below 20k.
HNSW_THRESHOLD = 20_000
HNSW_EF_SEARCH = 512
# Past this share of dead slots a search wades through too many removed passages (and the
# file carries their vectors): build afresh.
REBUILD_DEAD_SHARE = 0.2
INDEX_FILE = "dense.faiss"
SLOTS_FILE = "slots.json"
DENSE_FILES = (INDEX_FILE, SLOTS_FILE)

# FAISS runs even a single query on OpenMP threads, which then fight ONNX Runtime's for two
# cores: an exact search of 15k passages took 21 ms in the serving process and 1.3 ms on one
# thread. Searches use one; a full build (many vectors at once) uses them all.
faiss.omp_set_num_threads(1)


def passage_key(passage_id: str, content_hash: str) -> str:
    return f"{passage_id}\x00{content_hash}"


def index_kind(passages: int) -> str:
    return "hnsw32" if passages >= HNSW_THRESHOLD else "flat"


def _empty_index(dim: int, kind: str) -> faiss.Index:
    if kind == "hnsw32":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index
    return faiss.IndexFlatIP(dim)


def _add(index: faiss.Index, vectors: np.ndarray) -> None:
    if not len(vectors):
        return
    threads = len(vectors) > 1_000  # a full build: worth every core
    if threads:
        faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    finally:
        if threads:
            faiss.omp_set_num_threads(1)


@dataclass(frozen=True)
class DenseIndex:
    index: faiss.Index
    kind: str
    keys: tuple[str | None, ...]  # per slot: its passage's key, None once removed
    slots: np.ndarray  # per passage (in snapshot order): its slot
    positions: np.ndarray = field(repr=False)  # per slot: its passage's position, -1 if dead
    _params: faiss.SearchParameters | None = field(default=None, repr=False)
    _keep: object = field(default=None, repr=False)  # the selector's bitmap must outlive it

    @classmethod
    def over(cls, index: faiss.Index, kind: str, keys: Sequence[str | None], order: Sequence[str]):
        """The index as seen by passages in `order` (their keys)."""
        at = {k: s for s, k in enumerate(keys) if k is not None}
        missing = [k for k in order if k not in at]
        if missing or len(keys) != index.ntotal:
            raise ValueError(f"{len(missing)} passages have no vector in the dense index")
        slots = np.fromiter((at[k] for k in order), dtype=np.int64, count=len(order))
        positions = np.full(index.ntotal, -1, dtype=np.int64)
        positions[slots] = np.arange(len(order))
        slots.setflags(write=False)
        positions.setflags(write=False)
        if kind == "hnsw32":
            index.hnsw.efSearch = HNSW_EF_SEARCH
        params, keep = None, None
        live = positions >= 0
        if not live.all():
            keep = np.packbits(live, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(keep))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=HNSW_EF_SEARCH)
                if kind == "hnsw32"
                else faiss.SearchParameters(sel=selector)
            )
            keep = (keep, selector)
        return cls(index, kind, tuple(keys), slots, positions, params, keep)

    @property
    def dim(self) -> int:
        return self.index.d

    @property
    def dead(self) -> int:
        return int((self.positions < 0).sum())

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Positions of the k passages nearest to one query vector, nearest first."""
        _, found = self.index.search(query.reshape(1, -1), k, params=self._params)
        found = found[0]
        return self.positions[found[found >= 0]]

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """The stored vectors of passages (kept once: in FAISS, not beside it)."""
        if not len(positions):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_batch(self.slots[np.asarray(positions)])

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(directory / INDEX_FILE))
        (directory / SLOTS_FILE).write_text(json.dumps(list(self.keys)))

    @classmethod
    def load(cls, directory: Path, order: Sequence[str] | None = None) -> DenseIndex:
        """The index as seen by passages in `order` (their keys); by default, its own live
        slots in slot order."""
        index = faiss.read_index(str(directory / INDEX_FILE))
        keys = json.loads((directory / SLOTS_FILE).read_text())
        kind = "hnsw32" if isinstance(index, faiss.IndexHNSW) else "flat"
        return cls.over(index, kind, keys, order or [k for k in keys if k is not None])


def build_dense(
    order: Sequence[str],
    dim: int,
    vectors_of: Callable[[list[int]], np.ndarray],
    previous: DenseIndex | None = None,
) -> tuple[DenseIndex, bool]:
    """The dense index of passages with keys `order`; `vectors_of(positions)` gives vectors.
    Carries `previous` forward when it can (its slots reused, new ones appended to its
    index, which must not be one being searched); returns the index and whether it was
    built afresh."""
    kind = index_kind(len(order))
    if previous is not None and previous.kind == kind and previous.dim == dim:
        wanted = set(order)
        keys = [k if k in wanted else None for k in previous.keys]
        have = {k for k in keys if k is not None}
        new = [i for i, k in enumerate(order) if k not in have]
        dead = keys.count(None)
        if dead <= REBUILD_DEAD_SHARE * (len(keys) + len(new)):
            index = previous.index
            _add(index, vectors_of(new))
            keys += [order[i] for i in new]
            return DenseIndex.over(index, kind, keys, order), False
    index = _empty_index(dim, kind)
    _add(index, vectors_of(list(range(len(order)))))
    return DenseIndex.over(index, kind, list(order), order), True
