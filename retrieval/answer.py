"""Composing an answer: verbatim quotes, the sentence that matters, and an honest label.

The label combines evidence rather than thresholding a similarity score (e5's cosines are
compressed: off-topic questions score above many on-topic ones):
- names and versions the question asks about that the corpus never mentions;
- whether the dense and the lexical rankings agree on the top passage;
- how much of the question the top passages cover;
- how many independent sources support it, and of what kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from retrieval.index import IndexSnapshot
from retrieval.passages import sentences
from retrieval.search import Hit, QueryAnalysis, SearchResult

LABELS = ("high", "medium", "low", "none")
MAX_PASSAGES = 5
# Agreement: the worse of the dense and the lexical rank of the top passage (0 = both first).
STRONG_AGREEMENT, WEAK_AGREEMENT = 3, 5
# Coverage: the idf-weighted share of the question's ideas a passage mentions.
HIGH_COVERAGE, MEDIUM_COVERAGE = 0.6, 0.4
SUPPORT_COVERAGE = 0.5  # a passage this close to the question counts as support
NEAR_IDENTICAL = 0.6  # trigram Jaccard above which a second quote adds nothing
DIVERSITY_MARGIN = 0.9  # another source may displace the third quote if this nearly as good


@dataclass(frozen=True)
class Quote:
    passage_id: str
    source_file: str
    title: str
    outlet: str | None
    author: str | None
    published: date | None
    url: str | None
    kind: str | None
    text: str
    highlight: str  # the passage's most relevant sentence, verbatim
    score: float


@dataclass
class Answer:
    question: str
    confidence: str
    reason: str
    quotes: list[Quote]
    corpus_version: int | None
    as_of: date | None
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable answer (`rumorbot ask --json`, the answer log)."""
        return {
            "question": self.question,
            "confidence": self.confidence,
            "reason": self.reason,
            "corpus_version": self.corpus_version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "passages": [
                {
                    "passage_id": q.passage_id,
                    "source_file": q.source_file,
                    "title": q.title,
                    "outlet": q.outlet,
                    "author": q.author,
                    "published": q.published.isoformat() if q.published else None,
                    "url": q.url,
                    "kind": q.kind,
                    "text": q.text,
                    "highlight": q.highlight,
                    "score": q.score,
                }
                for q in self.quotes
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def _trigrams(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text)
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def _similar(a: str, b: str) -> float:
    x, y = _trigrams(a), _trigrams(b)
    return len(x & y) / len(x | y) if x | y else 1.0


def best_sentence(text: str, analysis: QueryAnalysis) -> str:
    """The sentence (or, in unpunctuated transcripts, the run of phrases) that covers most."""
    units = sentences(text)
    if len(units) == 1 and len(text) > 120:
        phrases = text.split()
        units = [" ".join(phrases[i : i + 4]) for i in range(0, len(phrases), 2)] or units
    scored = [(analysis.coverage(u), -i, u) for i, u in enumerate(units)]
    return max(scored)[2] if scored else text


def select_hits(hits: list[Hit]) -> list[Hit]:
    """Drop near-identical quotes; let a nearly as good other source take the third place."""
    chosen: list[Hit] = []
    for hit in hits:
        if any(_similar(hit.passage.text, c.passage.text) >= NEAR_IDENTICAL for c in chosen):
            continue
        chosen.append(hit)
    if len(chosen) > 3 and chosen[0].source.id == chosen[1].source.id == chosen[2].source.id:
        other = next((h for h in chosen[3:] if h.source.id != chosen[0].source.id), None)
        if other is not None and other.score >= DIVERSITY_MARGIN * chosen[2].score:
            chosen.remove(other)
            chosen.insert(2, other)
    return chosen[:MAX_PASSAGES]


def _who(hit: Hit) -> str:
    return hit.source.outlet or hit.source.author or hit.source.title


def label(result: SearchResult) -> tuple[str, str]:
    analysis, hits = result.analysis, result.hits
    if analysis.entities and len(analysis.missing_entities) == len(analysis.entities):
        return "none", f"nothing in the corpus mentions {', '.join(analysis.missing_entities)}"
    if not hits:
        return "none", "the corpus has nothing on this"
    top = hits[0]
    if analysis.missing_entities:
        return "low", (
            f"the corpus never mentions {', '.join(analysis.missing_entities)}; "
            "the quotes are only related"
        )
    if top.lexical_rank is None and top.coverage == 0:
        return "low", "no passage shares the question's terms; the quotes are only loosely related"
    lexical_rank = top.lexical_rank if top.lexical_rank is not None else len(hits) + 1
    agree = max(top.dense_rank, lexical_rank)  # worse of the two rankings' opinion of the top
    supporting = [h for h in hits[:3] if h.coverage >= SUPPORT_COVERAGE]
    sources = list(dict.fromkeys(h.source.id for h in supporting))
    names = ", ".join(dict.fromkeys(_who(h) for h in supporting))
    if agree < STRONG_AGREEMENT and top.coverage >= HIGH_COVERAGE:
        if len(sources) >= 2:
            return "high", f"{len(sources)} sources agree ({names})"
        if top.source.kind == "report":
            return "high", f"a direct report says so ({names}); no independent confirmation"
        return "medium", (
            f"one {top.source.kind or 'unclassified'} source supports it ({_who(top)});"
            " no independent confirmation"
        )
    if (agree < WEAK_AGREEMENT and top.coverage >= MEDIUM_COVERAGE) or (
        top.coverage >= HIGH_COVERAGE
    ):
        return "medium", (
            f"relevant passages found ({_who(top)}), but they match the question only in part"
        )
    return "low", "only loosely related passages; the corpus may not answer this"


def compose(snapshot: IndexSnapshot, result: SearchResult) -> Answer:
    confidence, reason = label(result)
    quotes = []
    if confidence != "none":
        for hit in select_hits(result.hits):
            s = hit.source
            quotes.append(
                Quote(
                    passage_id=hit.passage.id,
                    source_file=s.id,
                    title=s.title,
                    outlet=s.outlet,
                    author=s.author,
                    published=s.published,
                    url=s.url,
                    kind=s.kind,
                    text=hit.passage.text,
                    highlight=best_sentence(hit.passage.text, result.analysis),
                    score=round(hit.score, 4),
                )
            )
    dates = [q.published for q in quotes if q.published]
    return Answer(
        question=result.analysis.text,
        confidence=confidence,
        reason=reason,
        quotes=quotes,
        corpus_version=snapshot.version,
        as_of=max(dates) if dates else snapshot.newest_source_date(),
        timings_ms=dict(result.timings_ms),
    )
