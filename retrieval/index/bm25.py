"""The lexical index: BM25 (bm25s's Lucene scores) over the passages' tokens, built in chunks
and memory-mapped when served."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse as sp

from retrieval.text.tokens import tokenize

BUILD_CHUNK = 10_000  # documents scored at a time when an index is built


@lru_cache(maxsize=16384)  # a question's terms in all their forms, weighed per question
def _term_tokens(term: str) -> tuple[str, ...]:
    return tuple(tokenize(term))


class BM25Index:
    """BM25 over a fixed list of token lists (bm25s, Lucene scoring), saved with the snapshot
    and loaded (memory-mapped) instead of tokenised again."""

    def __init__(self, model: bm25s.BM25):
        self.model = model
        indptr = np.asarray(model.scores["indptr"])
        self.size = int(model.scores["num_docs"])
        self.vocab = model.vocab_dict
        self._df = np.diff(indptr)

    @classmethod
    def from_counts(cls, docs: list[tuple[np.ndarray, np.ndarray]], vocab: list[str]) -> BM25Index:
        """BM25 of documents given as (distinct token ids into `vocab`, their counts),
        computed in a few array operations (bm25s's own `index` loops over documents in
        Python: a minute at 100k passages). The scores are bm25s's Lucene variant, k1 1.5,
        b 0.75: the same numbers."""
        model = bm25s.BM25()
        k1, b, n = model.k1, model.b, len(docs)
        sizes = np.fromiter((len(ids) for ids, _ in docs), dtype=np.int64, count=n)
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        ids = np.concatenate([ids for ids, _ in docs]) if n else np.zeros(0, np.int32)
        lengths = np.fromiter((c.sum() for _, c in docs), dtype=np.float64, count=n)
        df = np.bincount(ids, minlength=len(vocab))
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        norm = k1 * ((1 - b) + b * lengths / (lengths.mean() if n else 1.0))
        # idf · tf / (norm + tf), a chunk of documents at a time: at 100k passages, the
        # float64 temporaries of all at once would be ~50 MB each.
        data = np.empty(len(ids), dtype=np.float32)
        for start in range(0, n, BUILD_CHUNK):
            stop = min(n, start + BUILD_CHUNK)
            first, last = indptr[start], indptr[stop]
            tf = np.concatenate([c for _, c in docs[start:stop]]).astype(np.float64)
            score = np.repeat(norm[start:stop], sizes[start:stop])
            score += tf
            np.divide(tf, score, out=score)
            score *= idf[ids[first:last]]
            data[first:last] = score
        # Rows are documents here; bm25s scores by token, so its matrix is by column (CSC).
        by_token = sp.csr_matrix((data, ids, indptr), shape=(n, len(vocab))).tocsc()
        del data, ids
        model.scores = {
            "data": by_token.data,
            "indices": by_token.indices.astype(np.int32, copy=False),
            "indptr": by_token.indptr.astype(np.int64, copy=False),
            "num_docs": n,
        }
        model.vocab_dict = {t: i for i, t in enumerate(vocab)}
        model.nonoccurrence_array = None
        return cls(model)

    @classmethod
    def from_tokens(cls, tokens: list[list[str]]) -> BM25Index:
        vocab: dict[str, int] = {}
        docs = []
        for doc in tokens:
            # An empty passage still takes part, as a token no question has.
            ids = [vocab.setdefault(t, len(vocab)) for t in (doc or ["\u0000"])]
            unique, counts = np.unique(np.array(ids, dtype=np.int32), return_counts=True)
            docs.append((unique, counts.astype(np.int32)))
        return cls.from_counts(docs, list(vocab))

    @classmethod
    def from_texts(cls, texts: list[str]) -> BM25Index:
        return cls.from_tokens([tokenize(t) for t in texts])

    def save(self, directory: Path) -> None:
        self.model.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        return cls(bm25s.BM25.load(str(directory), mmap=True))

    def doc_freq(self, token: str) -> int:
        at = self.vocab.get(token)
        return 0 if at is None else int(self._df[at])

    def docs_with(self, token: str) -> np.ndarray:
        """Positions of the passages that have the token."""
        at = self.vocab.get(token)
        if at is None:
            return np.zeros(0, dtype=np.int64)
        indptr = self.model.scores["indptr"]
        return np.asarray(self.model.scores["indices"][indptr[at] : indptr[at + 1]])

    def in_corpus(self, text: str) -> bool:
        """Whether every token of the term occurs in some passage."""
        tokens = _term_tokens(text)
        return bool(tokens) and all(self.doc_freq(t) > 0 for t in tokens)

    def idf(self, text: str) -> float:
        """Rarity of a term in the corpus (BM25's idf; the rarest of its tokens counts)."""
        tokens = _term_tokens(text)
        if not tokens:
            return 0.0
        df = min(self.doc_freq(t) for t in tokens)
        return math.log((self.size - df + 0.5) / (df + 0.5) + 1)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocab]
        if not known or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)
