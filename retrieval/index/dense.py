"""The dense side of a snapshot: passage vectors in FAISS, carried from version to version.

Vectors live in slots. The first slots are a base index, built afresh at some version and
never changed after, so the snapshots of later versions share it (in memory and, linked, on
disk); the slots after it are a small exact index of the vectors added since. A new corpus
version keeps the slots of the passages it still has, adds slots for new or changed passages
to a copy of that small index, and leaves the slots of removed passages dead: selectors keep
them out of every search. A slot's key is its passage's id and content hash, so a passage
whose text changed gets a new slot. Once dead or added slots pass a share of the index, or
the corpus outgrows a flat scan, the index is built afresh.
"""

from __future__ import annotations

import json
import os
import shutil
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
# files carry their vectors), and past this share of added slots the exact scan of them
# costs more than the base: build afresh.
REBUILD_SHARE = 0.2
INDEX_FILE = "dense.faiss"
ADDED_FILE = "dense-added.faiss"
SLOTS_FILE = "slots.json"
DENSE_FILES = (INDEX_FILE, ADDED_FILE, SLOTS_FILE)

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


def _params(kind: str, live: np.ndarray) -> tuple[faiss.SearchParameters | None, object]:
    """Search parameters that skip dead slots (and set HNSW's depth per search, as the base
    is shared), with what must outlive them."""
    selector, bitmap = None, None
    if not live.all():
        bitmap = np.packbits(live, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(bitmap))
    if kind == "hnsw32":
        params = faiss.SearchParametersHNSW(efSearch=HNSW_EF_SEARCH)  # type: ignore[attr-defined]
    elif selector is not None:
        params = faiss.SearchParameters()
    else:
        return None, None
    if selector is not None:
        params.sel = selector
    return params, (bitmap, selector)


@dataclass(frozen=True)
class DenseIndex:
    base: faiss.Index  # never changed once built: shared by the snapshots that carry it
    added: faiss.IndexFlatIP  # vectors added since the base was built
    kind: str  # the base's
    keys: tuple[str | None, ...]  # per slot (the base's, then the added): its passage's key
    slots: np.ndarray  # per passage (in snapshot order): its slot
    positions: np.ndarray = field(repr=False)  # per slot: its passage's position, -1 if dead
    _params: tuple = field(default=(None, None), repr=False)
    _keep: object = field(default=None, repr=False)  # selectors' bitmaps must outlive them

    @classmethod
    def over(
        cls,
        base: faiss.Index,
        added: faiss.IndexFlatIP,
        kind: str,
        keys: Sequence[str | None],
        order: Sequence[str],
    ) -> DenseIndex:
        """The index as seen by passages in `order` (their keys)."""
        at = {k: s for s, k in enumerate(keys) if k is not None}
        missing = [k for k in order if k not in at]
        if missing or len(keys) != base.ntotal + added.ntotal:
            raise ValueError(f"{len(missing)} passages have no vector in the dense index")
        slots = np.fromiter((at[k] for k in order), dtype=np.int64, count=len(order))
        positions = np.full(len(keys), -1, dtype=np.int64)
        positions[slots] = np.arange(len(order))
        slots.setflags(write=False)
        positions.setflags(write=False)
        live = positions >= 0
        base_params, base_keep = _params(kind, live[: base.ntotal])
        added_params, added_keep = _params("flat", live[base.ntotal :])
        return cls(
            base,
            added,
            kind,
            tuple(keys),
            slots,
            positions,
            (base_params, added_params),
            (base_keep, added_keep),
        )

    @property
    def dim(self) -> int:
        return self.base.d

    @property
    def dead(self) -> int:
        return int((self.positions < 0).sum())

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Positions of the k passages nearest to one query vector, nearest first."""
        scores, slots = [], []
        offset = 0
        for index, params in zip((self.base, self.added), self._params, strict=True):
            if index.ntotal:
                found_scores, found = index.search(query.reshape(1, -1), k, params=params)
                live = found[0] >= 0
                scores.append(found_scores[0][live])
                slots.append(found[0][live] + offset)
            offset += index.ntotal
        if not slots:
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(-np.concatenate(scores), kind="stable")[:k]
        return self.positions[np.concatenate(slots)[order]]

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """The stored vectors of passages (kept once: in FAISS, not beside it)."""
        slots = self.slots[np.asarray(positions, dtype=np.int64)]
        out = np.zeros((len(slots), self.dim), dtype=np.float32)
        in_base = slots < self.base.ntotal
        if in_base.any():
            out[in_base] = self.base.reconstruct_batch(slots[in_base])
        if not in_base.all():
            out[~in_base] = self.added.reconstruct_batch(slots[~in_base] - self.base.ntotal)
        return out

    def save(self, directory: Path, base_file: Path | None = None) -> None:
        """`base_file`: where this base is saved already (a build that carried it forward);
        linked there instead of written again."""
        target = directory / INDEX_FILE
        if base_file is None:
            faiss.write_index(self.base, str(target))
        else:
            try:
                os.link(base_file, target)
            except OSError:  # another file system, or no hard links
                shutil.copyfile(base_file, target)
        faiss.write_index(self.added, str(directory / ADDED_FILE))
        (directory / SLOTS_FILE).write_text(json.dumps(list(self.keys)))

    @classmethod
    def load(cls, directory: Path, order: Sequence[str] | None = None) -> DenseIndex:
        """The index as seen by passages in `order` (their keys); by default, its own live
        slots in slot order."""
        base = faiss.read_index(str(directory / INDEX_FILE))
        added = faiss.read_index(str(directory / ADDED_FILE))
        keys = json.loads((directory / SLOTS_FILE).read_text())
        kind = "hnsw32" if isinstance(base, faiss.IndexHNSW) else "flat"
        if not isinstance(added, faiss.IndexFlatIP):
            raise ValueError(f"{ADDED_FILE} is not an exact index")
        return cls.over(base, added, kind, keys, order or [k for k in keys if k is not None])


def build_dense(
    order: Sequence[str],
    dim: int,
    vectors_of: Callable[[list[int]], np.ndarray],
    previous: DenseIndex | None = None,
) -> tuple[DenseIndex, bool]:
    """The dense index of passages with keys `order`; `vectors_of(positions)` gives vectors.
    Carries `previous` forward when it can (its base shared, its added vectors copied with
    the new ones); returns the index and whether it was built afresh."""
    kind = index_kind(len(order))
    if previous is not None and previous.kind == kind and previous.dim == dim:
        wanted = set(order)
        keys = [k if k in wanted else None for k in previous.keys]
        have = {k for k in keys if k is not None}
        new = [i for i, k in enumerate(order) if k not in have]
        total = len(keys) + len(new)
        added_count = previous.added.ntotal + len(new)
        if max(keys.count(None), added_count) <= REBUILD_SHARE * total:
            added = faiss.IndexFlatIP(dim)
            if previous.added.ntotal:
                added.add(previous.added.reconstruct_n(0, previous.added.ntotal))
            _add(added, vectors_of(new))
            keys += [order[i] for i in new]
            return DenseIndex.over(previous.base, added, kind, keys, order), False
    base = _empty_index(dim, kind)
    _add(base, vectors_of(list(range(len(order)))))
    return DenseIndex.over(base, faiss.IndexFlatIP(dim), kind, list(order), order), True
