"""Hybrid search: e5 dense similarity fused with BM25 over jieba and Latin tokens.

Fusion is a convex combination of min-max-normalised scores over the candidate set. English
questions are expanded into Chinese terms (CC-CEDICT plus a glossary) before BM25, so lexical
evidence exists for them too. Weights were chosen by measurement (docs/retrieval.md): equal
for non-Chinese questions; lexical-heavy for Chinese ones, where BM25 is the stronger signal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from retrieval.corpus.store import PassageRow, SourceInfo
from retrieval.embedding.embedders import Embedder
from retrieval.index import IndexSnapshot
from retrieval.search.analysis import QueryAnalysis, analyse
from retrieval.search.english import EnglishSide
from retrieval.search.expansion import QueryExpander

# Weights of (today's fused score, e5 on the renderings, BM25 on the renderings) for English
# questions, measured on dev and the hold-out (docs/retrieval.md).
ENGLISH_WEIGHTS = (0.3, 0.5, 0.2)


@dataclass(frozen=True)
class Hit:
    passage: PassageRow
    source: SourceInfo
    score: float
    dense: float
    lexical: float
    dense_rank: int
    lexical_rank: int | None
    coverage: float
    unmatched: tuple[str, ...] = ()  # the question's ideas this passage does not mention


@dataclass
class SearchResult:
    analysis: QueryAnalysis
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    query: np.ndarray | None = None  # the question's embedding


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest values, in no particular order (the candidates are a set):
    a partition, not a sort of every passage's score."""
    if k >= len(values):
        return np.arange(len(values))
    return np.argpartition(-values, k - 1)[:k]


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the highest value, 1 for the next…"""
    ranks = np.empty(len(values), dtype=int)
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return ranks


def _per_candidate(
    candidates: np.ndarray,
    side: EnglishSide,
    en_dense_rows: np.ndarray,
    en_lexical_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The English side's scores (given per rendering) per candidate; -inf without one."""
    at = {int(row): i for i, row in enumerate(side.rows)}
    rows = np.array([at.get(int(c), -1) for c in candidates])
    has = rows >= 0
    en_dense = np.full(len(candidates), -np.inf, dtype=np.float32)
    en_lexical = np.full(len(candidates), -np.inf, dtype=np.float32)
    en_dense[has] = en_dense_rows[rows[has]]
    en_lexical[has] = en_lexical_rows[rows[has]]
    return en_dense, en_lexical


def _minmax(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


class HybridSearcher:
    def __init__(
        self,
        embedder: Embedder,
        expander: QueryExpander,
        candidates: int = 100,
        dense_weight: float = 0.5,
        dense_weight_chinese: float = 0.3,
        english_weights: tuple[float, float, float] = ENGLISH_WEIGHTS,
    ):
        self.embedder = embedder
        self.expander = expander
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.dense_weight_chinese = dense_weight_chinese
        self.english_weights = english_weights

    def search(
        self,
        snapshot: IndexSnapshot,
        question: str,
        k: int = 10,
        english: EnglishSide | None = None,
    ) -> SearchResult:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        analysis = analyse(question, snapshot.names, self.expander)
        timings["analyse"] = (time.perf_counter() - started) * 1000
        n = len(snapshot.passages)
        if n == 0 or not analysis.text.strip():
            return SearchResult(analysis, [], timings)

        t = time.perf_counter()
        query = np.asarray(self.embedder.embed_queries([analysis.search_text]), dtype=np.float32)
        timings["embed"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        depth = min(self.candidates, n)
        dense_ids = snapshot.dense.search(query[0], depth)
        lexical_all = snapshot.lexical.scores(list(analysis.tokens))
        lexical_ids = _top(lexical_all, depth)
        lexical_ids = lexical_ids[lexical_all[lexical_ids] > 0]
        pools = [dense_ids, lexical_ids]
        # English questions are also matched against the English renderings (where they exist).
        side = english if english is not None and not analysis.is_chinese else None
        if side is not None and len(side.rows):
            en_dense_rows, en_lexical_rows = side.scores(analysis.search_text, query[0])
            pools += [side.rows[_top(scores, depth)] for scores in (en_dense_rows, en_lexical_rows)]
        candidates = np.unique(np.concatenate(pools))
        # Exact cosine for every candidate, including those only BM25 found.
        dense = snapshot.dense.vectors(candidates) @ query[0]
        lexical = lexical_all[candidates]
        weight = self.dense_weight_chinese if analysis.is_chinese else self.dense_weight
        fused = weight * _minmax(dense) + (1 - weight) * _minmax(lexical)
        dense_rank, lexical_rank, has_lexical = _ranks(dense), _ranks(lexical), lexical > 0
        if side is not None and len(side.rows):
            en_dense, en_lexical = _per_candidate(candidates, side, en_dense_rows, en_lexical_rows)
            fused = self._with_english(fused, en_dense, en_lexical)
            # The rankings "agree" in either language: the better rank of each kind counts.
            dense_rank = np.minimum(dense_rank, _ranks(en_dense))
            lexical_rank = np.minimum(lexical_rank, _ranks(en_lexical))
            has_lexical |= en_lexical > 0
        order = np.argsort(-fused, kind="stable")[:k]
        timings["search"] = (time.perf_counter() - t) * 1000

        hits = []
        for i in order:
            passage = snapshot.passages[candidates[i]]
            coverage, unmatched = self._judge(analysis, passage, side)
            hits.append(
                Hit(
                    passage=passage,
                    source=snapshot.sources[passage.source_id],
                    score=float(fused[i]),
                    dense=float(dense[i]),
                    lexical=float(lexical[i]),
                    dense_rank=int(dense_rank[i]),
                    lexical_rank=int(lexical_rank[i]) if has_lexical[i] else None,
                    coverage=coverage,
                    unmatched=unmatched,
                )
            )
        timings["total"] = (time.perf_counter() - started) * 1000
        return SearchResult(analysis, hits, timings, query[0])

    @staticmethod
    def _judge(
        analysis: QueryAnalysis, passage: PassageRow, side: EnglishSide | None
    ) -> tuple[float, tuple[str, ...]]:
        """How much of the question a passage mentions, and what it leaves out: in Chinese and
        (for a question in another language) in its English rendering, so an idea counts
        when either says it."""
        rendering = side.rendering(passage.content_hash) if side is not None else None
        english = rendering.english if rendering is not None else ""
        return analysis.judge(f"{passage.heading or ''}\n{passage.text}\n{english}")

    def _with_english(
        self, fused: np.ndarray, en_dense: np.ndarray, en_lexical: np.ndarray
    ) -> np.ndarray:
        """Fold the English rankings into the fused score of candidates with a rendering;
        a candidate without one (its English scores are -inf) keeps the score it has."""
        has = np.isfinite(en_dense)
        if not has.any():
            return fused
        w_fused, w_dense, w_lexical = self.english_weights
        out = fused.copy()
        out[has] = (
            w_fused * fused[has]
            + w_dense * _minmax(en_dense[has])
            + w_lexical * _minmax(en_lexical[has])
        )
        return out
