"""Hybrid search: e5 dense similarity fused with BM25 over jieba and Latin tokens.

Fusion is a convex combination of min-max-normalised scores over the candidate set. English
questions are expanded into Chinese terms (CC-CEDICT plus a glossary) before BM25, so lexical
evidence exists for them too. Weights were chosen by measurement (README, "Retrieval"): equal
for non-Chinese questions; lexical-heavy for Chinese ones, where BM25 is the stronger signal.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from retrieval.corpus.store import PassageRow, SourceInfo
from retrieval.embedding import Embedder
from retrieval.english import EnglishSide, spell_out, stem
from retrieval.expansion import QueryExpander
from retrieval.index import IndexSnapshot
from retrieval.index.names import NameIndex
from retrieval.lexical import (
    EN_STOPWORDS,
    ZH_STOPWORDS,
    BM25Index,
    chinese_tokens,
    fold,
    has_cjk,
    normalise,
    tokenize,
)

MAX_QUESTION_CHARS = 2000
MIN_STEM = 4  # an English word's stem counts as one of its forms from this length on
# Weights of (today's fused score, e5 on the renderings, BM25 on the renderings) for English
# questions, measured on dev and the hold-out (README, "How answers are found").
ENGLISH_WEIGHTS = (0.3, 0.5, 0.2)
# "GPT-7", "Llama 4", "Opus 3.5", "o3", "GPT-4o": a name with a version.
VERSIONED_NAME = re.compile(r"\b([A-Za-z][A-Za-z]*)[\s-]?(\d+(?:\.\d+)?[a-z]?)\b")
MONTHS = {m.lower() for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Sept".split()}
# Capitalised words that name a time, not a thing the corpus should mention.
CALENDAR = set(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9*]+\b")


# The texts judged against questions are passages and their sentences, quoted again and again.
_normalised = lru_cache(maxsize=2048)(normalise)


@dataclass(frozen=True)
class QueryAnalysis:
    text: str  # as asked (shown in the answer)
    search_text: str  # as searched: chat abbreviations spelled out
    is_chinese: bool
    tokens: tuple[str, ...]
    # Each group is one idea of the question in the forms it may take in a passage, weighted
    # by how rare it is in the corpus: "OpenAI" is everywhere, "通用验证器" is not.
    term_groups: tuple[frozenset[str], ...]
    weights: tuple[float, ...]
    entities: tuple[str, ...]
    missing_entities: tuple[str, ...]
    # Names with a version ("GPT-7", "Llama 4") that the corpus never mentions.
    missing_versions: tuple[str, ...] = ()
    # Each idea as the question words it ("reply", "Mark"), parallel to term_groups.
    ideas: tuple[str, ...] = ()

    def mentioned(self, text: str) -> tuple[bool, ...]:
        """For each of the question's ideas, whether a text mentions it in any of its forms."""
        norm = _normalised(text)
        return tuple(any(t in norm for t in group) for group in self.term_groups)

    def coverage(self, text: str) -> float:
        """Weighted share of the question's ideas that a text mentions (0 if it has none)."""
        return self._weighed(self.mentioned(text))

    def _weighed(self, mentioned: tuple[bool, ...]) -> float:
        total = sum(self.weights)
        found = sum(w for w, m in zip(self.weights, mentioned, strict=True) if m)
        return found / total if total else 0.0

    def judge(self, text: str) -> tuple[float, tuple[str, ...]]:
        """A text's coverage of the question and the ideas it does not mention."""
        mentioned = self.mentioned(text)
        unmatched = tuple(i for i, m in zip(self.ideas, mentioned, strict=True) if not m)
        return self._weighed(mentioned), unmatched


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


def _entity_forms(name: str, version: str) -> frozenset[str]:
    name, version = name.lower(), version.lower()
    return frozenset(
        {f"{name}-{version}", f"{name} {version}", f"{name}{version}", f"{version} {name}"}
    )


def _names_a_version(match: re.Match[str], names: NameIndex) -> bool:
    """Whether "<word> <number>" names a model: not a date ("October 2024", "fall 2025"), and
    written as a name (capitalised or joined: "Llama 4", "gpt5", "gpt-5") or a word the
    corpus itself uses with versions ("opus 3.5"); "like 3 to 4" is not one."""
    name, version = match.groups()
    if re.fullmatch(r"(19|20)\d\d", version) or name.lower()[:3] in MONTHS:
        return False
    joined = match.group() == name + version or "-" in match.group()
    if name[0].isupper() or joined:
        return True
    return names.names_versions(name)


def _present(forms: frozenset[str], names: NameIndex) -> bool:
    return any(names.mentions(form) for form in forms)


def analyse(question: str, names: NameIndex, expander: QueryExpander) -> QueryAnalysis:
    shown = question[:MAX_QUESTION_CHARS]
    chinese = has_cjk(shown)
    # "did oai walk away from msft" is searched as "did OpenAI walk away from Microsoft".
    text = shown if chinese else spell_out(shown)
    # Both name patterns run over the same folded text, so their spans can be compared.
    folded = fold(text)
    groups: list[tuple[str, frozenset[str]]] = []  # (the idea as asked, its forms)
    entities: list[str] = []
    missing: list[str] = []
    missing_versions: list[str] = []
    covered_spans: list[tuple[int, int]] = []

    for match in VERSIONED_NAME.finditer(folded):
        name, version = match.groups()
        if name.lower() in EN_STOPWORDS or not _names_a_version(match, names):
            continue
        forms = _entity_forms(name, version)
        label = match.group()
        entities.append(label)
        covered_spans.append(match.span())
        groups.append((label, forms))
        if not _present(forms, names):
            missing.append(label)
            missing_versions.append(label)
    first_word = re.search(r"[A-Za-z]", folded)
    for match in CAPITALISED.finditer(folded):
        word = match.group()
        # An English question's first word is capitalised by grammar, not because it is a name.
        if not chinese and first_word and match.start() == first_word.start():
            continue
        if any(a <= match.start() < b for a, b in covered_spans) or word.lower() in EN_STOPWORDS:
            continue
        if word.lower() in CALENDAR:
            continue
        forms = frozenset({word.lower(), *expander.expand(word)})
        entities.append(word)
        groups.append((word, forms))
        if not _present(forms, names):
            missing.append(word)
    named = {w.lower() for w in entities}
    if chinese:
        for token in dict.fromkeys(chinese_tokens(text)):
            if len(token) >= 2 and token not in ZH_STOPWORDS:
                groups.append((token, frozenset({token})))
    else:
        entity_text = " ".join(named)
        for word in dict.fromkeys(re.findall(r"[a-z][a-z0-9*.-]*", normalise(text))):
            if word in EN_STOPWORDS or word in entity_text or len(word) < 3:
                continue
            # Its stem too, so "takeaways" finds "takeaway" and "releasing" finds "released";
            # a stem too short to be telling ("us", "ran") is left out.
            root = stem(word) if word.isalpha() else word
            forms = {word, *expander.expand(word)} | ({root} if len(root) >= MIN_STEM else set())
            groups.append((word, frozenset(forms)))
    tokens = tokenize(text)
    if not chinese:
        tokens += [t for term in expander.expand(text) for t in tokenize(term)]
    # One entry per distinct set of forms: "GPT-5" and "gpt5" are one idea.
    unique: dict[frozenset[str], str] = {}
    for idea, forms in groups:
        if forms:
            unique.setdefault(forms, idea)
    term_groups = tuple(unique)
    return QueryAnalysis(
        shown,
        text,
        chinese,
        tuple(tokens),
        term_groups,
        _weights(term_groups, names.lexical),
        tuple(dict.fromkeys(entities)),
        tuple(dict.fromkeys(missing)),
        missing_versions=tuple(dict.fromkeys(missing_versions)),
        ideas=tuple(unique.values()),
    )


def _weights(groups: tuple[frozenset[str], ...], lexical: BM25Index) -> tuple[float, ...]:
    """Each idea's weight is its rarity in the corpus. An idea the corpus never mentions in any
    form would be the rarest of all; it weighs as much as the least rare known one instead: a
    question about what the corpus lacks is still judged short of it, but an odd word
    ("gonna", a typo) does not outweigh everything the quotes match."""
    rarity = [max((lexical.idf(form) for form in group), default=0.0) for group in groups]
    known = [any(lexical.in_corpus(form) for form in group) for group in groups]
    floor = min((r for r, k in zip(rarity, known, strict=True) if k), default=None)
    if floor is None:
        return tuple(rarity)
    return tuple(r if k else floor for r, k in zip(rarity, known, strict=True))


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
