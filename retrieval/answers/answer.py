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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from retrieval.answers.credibility import STRONG_TIERS, Support, describe, passage_voice, strongest
from retrieval.answers.payload import AnswerJSON
from retrieval.answers.quoting import UnitVectors, best_sentence, excerpt, unit_similarities
from retrieval.answers.recency import (
    Newest,
    about_now,
    coverage_beside_now,
    newest_source,
    topic_sources,
)
from retrieval.answers.slots import unfilled
from retrieval.corpus.passages import jaccard, trigrams
from retrieval.index import IndexSnapshot
from retrieval.search.analysis import QueryAnalysis
from retrieval.search.english import EnglishSide
from retrieval.search.hybrid import Hit, SearchResult
from retrieval.translation.render import ON_ITS_WAY

LABELS = ("high", "medium", "low", "none")
MAX_PASSAGES = 5
SHOWN_QUOTES = 3  # what Slack and the terminal show; the rest is for machines
SPAN_DAYS = 365
STALE_DAYS = 90  # a question about now whose newest news is older: "may be out of date"
# Agreement: the worse of the dense and the lexical rank of the top passage (0 = both first).
STRONG_AGREEMENT, WEAK_AGREEMENT = 3, 5
# Coverage: the idf-weighted share of the question's ideas a passage mentions.
HIGH_COVERAGE, MEDIUM_COVERAGE = 0.6, 0.4
AGREED_COVERAGE = 0.3  # enough for medium when both rankings put the top passage first
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
    tier: str = "analysis"
    origin: str | None = None
    # The English shown under the quote (machine translation, of the excerpt where one is
    # shown) and the English of its key sentence; None while pending or when translation is
    # off. `english_checked` False: a unit's English failed the guard and is withheld, its
    # place marked (`retrieval.translation.render.NO_ENGLISH`).
    english: str | None = None
    english_highlight: str | None = None
    english_checked: bool | None = None
    # What is shown of a long transcript passage: whole phrases around the key sentence,
    # "…" where cut (None: the whole text is shown).
    excerpt: str | None = None
    # A question about now: a quote that a newer answering quote on the topic supersedes.
    older: bool = False


@dataclass
class Answer:
    question: str
    confidence: str
    reason: str
    quotes: list[Quote]
    corpus_version: int | None
    as_of: date | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Set when the shown quotes span more than a year (they stay in order of relevance; each
    # carries its date).
    span_note: str | None = None
    evidence: Evidence | None = field(default=None, repr=False)
    # Whether English renderings are made at all (off: nothing is "pending").
    translations: bool = False
    # A follow-up in a thread: the topic taken from earlier questions, and what was searched.
    context: str | None = None
    searched: str | None = None
    # A question about now: how new the corpus's news on the topic is ("Newest source on
    # this: 2025-08-03 (cnBeta); nothing newer in the corpus").
    newest: str | None = None

    def shown(self) -> list[Quote]:
        """The quotes a person sees: the best few, best first (the best is what answers)."""
        return self.quotes[:SHOWN_QUOTES]

    def with_english(self, snapshot: IndexSnapshot, english: EnglishSide) -> Answer:
        """The same answer with its quotes' English as the renderings now stand."""
        quotes = []
        for quote in self.quotes:
            row = snapshot.passage_by_id.get(quote.passage_id)
            quoted = (
                english.quoted(
                    row.content_hash, row.text, quote.excerpt or row.text, quote.highlight
                )
                if row is not None
                else None
            )
            if quoted is not None:
                shown, key, checked = quoted
                quote = replace(
                    quote, english=shown, english_highlight=key, english_checked=checked
                )
            quotes.append(quote)
        return replace(self, quotes=quotes)

    def citations(self) -> dict[str, int]:
        """Source file → its citation number: one number per source, in order of first quote."""
        return citation_numbers(q.source_file for q in self.quotes)

    def to_json(self) -> AnswerJSON:
        """The machine-readable answer (`rumorbot ask --json`, the answer log)."""
        cited = self.citations()
        return {
            "question": self.question,
            "confidence": self.confidence,
            "reason": self.reason,
            "corpus_version": self.corpus_version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "span_note": self.span_note,
            "passages": [
                {
                    "passage_id": q.passage_id,
                    "citation": cited[q.source_file],
                    "source_file": q.source_file,
                    "title": q.title,
                    "outlet": q.outlet,
                    "author": q.author,
                    "published": q.published.isoformat() if q.published else None,
                    "url": q.url,
                    "kind": q.kind,
                    "text": q.text,
                    "highlight": q.highlight,
                    "excerpt": q.excerpt,
                    "older": q.older,
                    "score": q.score,
                    "tier": q.tier,
                    "origin": q.origin,
                    "english": q.english,
                    "english_highlight": q.english_highlight,
                    "english_checked": q.english_checked,
                }
                for q in self.quotes
            ],
            "translations": "on" if self.translations else "off",
            "context": self.context,
            "newest": self.newest,
            "searched": self.searched or self.question,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def citation_numbers(source_files: Iterable[str]) -> dict[str, int]:
    return {source: n for n, source in enumerate(dict.fromkeys(source_files), 1)}


@lru_cache(maxsize=512)  # per passage text, quoted again and again (a set is ~30 KB)
def _trigrams(text: str) -> frozenset[str]:
    return trigrams(re.sub(r"\s+", "", text))


def select_hits(hits: list[Hit]) -> list[Hit]:
    """Drop near-identical quotes; let a nearly as good other source take the third place."""
    chosen: list[Hit] = []
    kept: list[frozenset[str]] = []  # the chosen passages' trigrams
    for hit in hits:
        grams = _trigrams(hit.passage.text)
        if any(jaccard(grams, c) >= NEAR_IDENTICAL for c in kept):
            continue
        chosen.append(hit)
        kept.append(grams)
    if len(chosen) > 3 and chosen[0].source.id == chosen[1].source.id == chosen[2].source.id:
        other = next((h for h in chosen[3:] if h.source.id != chosen[0].source.id), None)
        if other is not None and other.score >= DIVERSITY_MARGIN * chosen[2].score:
            chosen.remove(other)
            chosen.insert(2, other)
    return chosen[:MAX_PASSAGES]


def _who(hit: Hit) -> str:
    return hit.source.outlet or hit.source.author or hit.source.title


@dataclass(frozen=True)
class Evidence:
    """What the label is decided from, kept with the answer so it can be re-examined."""

    entities: tuple[str, ...]
    missing_entities: tuple[str, ...]
    has_hits: bool
    lexical_match: bool  # the top passage shares at least one of the question's terms
    agreement: int  # the worse of the dense and lexical rank of the top passage
    coverage: float  # idf-weighted share of the question the top passage mentions
    supports: tuple[Support, ...]  # top passages close enough to the question to support it
    # Named versions the corpus never mentions ("GPT-7"): the corpus cannot answer.
    missing_versions: tuple[str, ...] = ()
    # The question's ideas that none of the shown quotes mentions ("reply" in "what did Mark
    # Chen reply to Tworek", when the corpus has only the complaint).
    unanswered: tuple[str, ...] = ()
    # The dense model's highest similarity of the question to a passage, and whether it is
    # below the embedder's bar for the corpus's topics (the weather, a recipe).
    top_similarity: float = 0.0
    off_topic: bool = False
    # What the question asks for that the first quote does not state ("a parameter count").
    unfilled: str | None = None


def gather_evidence(result: SearchResult, off_topic_below: float | None = None) -> Evidence:
    """`off_topic_below`: the top dense similarity under which a question is off the corpus's
    topics (None: the embedder's similarities do not separate them)."""
    analysis, hits = result.analysis, result.hits
    top = hits[0] if hits else None
    similarity = max((h.dense for h in hits), default=0.0)
    supports = tuple(
        Support(origin=voice.origin, tier=voice.tier, outlet=_who(h))
        for h in hits[:3]
        if h.coverage >= SUPPORT_COVERAGE
        for voice in [passage_voice(h.passage.text, h.passage.heading, h.source)]
    )
    lexical_rank = top.lexical_rank if top and top.lexical_rank is not None else len(hits) + 1
    return Evidence(
        entities=analysis.entities,
        missing_entities=analysis.missing_entities,
        has_hits=top is not None,
        lexical_match=bool(top and (top.lexical_rank is not None or top.coverage > 0)),
        agreement=max(top.dense_rank, lexical_rank) if top else len(hits) + 1,
        coverage=top.coverage if top else 0.0,
        supports=supports,
        missing_versions=analysis.missing_versions,
        unanswered=tuple(
            idea
            for idea in analysis.ideas
            if hits and all(idea in h.unmatched for h in hits[:SHOWN_QUOTES])
        ),
        top_similarity=similarity,
        off_topic=off_topic_below is not None and similarity < off_topic_below,
    )


def decide(evidence: Evidence) -> tuple[str, str]:
    """The label and its one-line reason, naming what decided it."""
    everything_missing = len(evidence.missing_entities) == len(evidence.entities)
    if evidence.missing_versions and everything_missing:
        # A named version the corpus never mentions ("GPT-7", "Llama 4") and nothing else it
        # knows: whatever the passages say, they are not about it.
        return "none", f"nothing in the corpus mentions {', '.join(evidence.missing_entities)}"
    if not evidence.has_hits:
        return "none", "the corpus has nothing on this"
    if evidence.off_topic:
        return "none", "nothing in the sources is about this"
    if evidence.missing_entities:
        # A name the corpus lacks ("IBM" beside "Deep Blue", which it covers) is a warning,
        # not a verdict: the quotes are still shown.
        return "low", (
            f"the corpus never mentions {', '.join(evidence.missing_entities)}; "
            "the quotes are only related"
        )
    unnamed = [idea for idea in evidence.unanswered if idea in evidence.entities]
    if unnamed:
        # A name the corpus has but none of the quotes does ("API" in a question on what
        # GPT-5's API costs): the quotes are about something else.
        return "low", f"no quote mentions {_listed(tuple(unnamed))}; the quotes are only related"
    if not evidence.lexical_match:
        return "low", "no passage shares the question's terms; the quotes are only loosely related"
    if evidence.unfilled:
        # On the topic, but not what was asked: the quotes say nothing of the kind.
        if evidence.entities:
            return "low", (
                f"the sources discuss {_listed(evidence.entities)}, but no quote gives"
                f" {evidence.unfilled}"
            )
        # No name to cite ("the sources discuss this" reads as a slip).
        return "low", f"the quotes are on the question's topic, but none gives {evidence.unfilled}"
    supports = list(evidence.supports)
    if evidence.agreement < STRONG_AGREEMENT and evidence.coverage >= HIGH_COVERAGE and supports:
        # High needs a report or an on-record statement: analyses and retellings agreeing
        # with each other are still speculation.
        if evidence.unanswered:
            # Everything else matches, but not what the question turns on: the quotes are
            # about the right thing without saying what was asked.
            unanswered = _listed(evidence.unanswered)
            return "medium", f"{describe(supports)}; no quote mentions {unanswered}"
        if strongest(supports) in STRONG_TIERS:
            return "high", describe(supports)
        return "medium", describe(supports)
    if (evidence.agreement < WEAK_AGREEMENT and evidence.coverage >= MEDIUM_COVERAGE) or (
        evidence.coverage >= HIGH_COVERAGE
    ):
        where = describe(supports) if supports else "relevant passages found"
        return "medium", f"{where}; they match the question only in part"
    if evidence.agreement == 0 and evidence.coverage >= AGREED_COVERAGE:
        # Word overlap under-counts a paraphrase ("takeaways" for 启示); both rankings putting
        # the same passage first is evidence of its own.
        return "medium", (
            "the meaning and the word search both rank the first quote first, though it"
            " matches the question's words only in part"
        )
    return "low", "only loosely related passages; the corpus may not answer this"


def _listed(ideas: tuple[str, ...]) -> str:
    return ", ".join(f"“{idea}”" for idea in ideas)


def span_note(quotes: list[Quote]) -> str | None:
    dates = sorted(q.published for q in quotes if q.published)
    if len(dates) < 2 or (dates[-1] - dates[0]).days <= SPAN_DAYS:
        return None
    return (
        f"sources span {dates[0]:%Y-%m} to {dates[-1]:%Y-%m}; "
        "later reports may supersede earlier ones"
    )


def newest_first(
    quotes: list[Quote], hits: list[Hit], analysis: QueryAnalysis, snapshot: IndexSnapshot
) -> tuple[list[Quote], Newest | None]:
    """For a question about now: the shown quotes that answer (close enough to the question
    to count as support) newest first, the older of them marked; and the newest source the
    corpus has on the topic (named in the question, or else the answering quotes')."""
    shown = range(min(SHOWN_QUOTES, len(quotes)))
    answering = [
        i for i in shown if coverage_beside_now(analysis, hits[i].unmatched) >= SUPPORT_COVERAGE
    ]
    on_topic = topic_sources(analysis, snapshot)
    newest = newest_source([*on_topic, *(hits[i].source for i in answering)])
    if not answering:
        return quotes, newest
    ordered = sorted(answering, key=lambda i: quotes[i].published or date.min, reverse=True)
    latest = quotes[ordered[0]].published or date.min
    first = [replace(quotes[i], older=(quotes[i].published or latest) < latest) for i in ordered]
    rest = [q for i, q in enumerate(quotes) if i not in answering]
    return first + rest, newest


def compose(
    snapshot: IndexSnapshot,
    result: SearchResult,
    english: EnglishSide | None = None,
    unit_vectors: UnitVectors | None = None,
    today: date | None = None,
    stale_days: int = STALE_DAYS,
    off_topic_below: float | None = None,
) -> Answer:
    """`unit_vectors`: choose the key sentences of the shown quotes with the dense model too.
    `today`: treat a question about now as such (the newest news first, its age said).
    `off_topic_below`: see `gather_evidence`."""
    evidence = gather_evidence(result, off_topic_below)
    confidence, _ = decide(evidence)
    quotes = []
    hits: list[Hit] = []
    if confidence != "none":
        hits = select_hits(result.hits)
        shown = [h.passage.text for h in hits[:SHOWN_QUOTES]]
        similarities = unit_similarities(unit_vectors, result.query, shown)
        for i, hit in enumerate(hits):
            s = hit.source
            voice = passage_voice(hit.passage.text, hit.passage.heading, s)
            similarity = similarities[i] if i < len(similarities) else None
            highlight = best_sentence(hit.passage.text, result.analysis, similarity)
            quoted = excerpt(hit.passage.text, highlight)
            in_english, key_in_english, checked = (
                english.quoted(
                    hit.passage.content_hash,
                    hit.passage.text,
                    quoted or hit.passage.text,
                    highlight,
                )
                if english
                else None
            ) or (None, None, None)
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
                    highlight=highlight,
                    score=round(hit.score, 4),
                    tier=voice.tier,
                    origin=voice.origin,
                    english=in_english,
                    english_highlight=key_in_english,
                    english_checked=checked,
                    excerpt=quoted,
                )
            )
    if quotes:
        first = quotes[0]
        evidence = replace(
            evidence, unfilled=unfilled(result.analysis, first.highlight, first.text)
        )
    confidence, reason = decide(evidence)
    newest = None
    if today is not None and quotes and about_now(result.analysis.text):
        quotes, newest = newest_first(quotes, hits, result.analysis, snapshot)
        if newest is not None and newest.age_days(today) > stale_days:
            reason += (
                f"; the newest source on this is {newest.age_days(today)} days old, "
                "so the corpus may be out of date"
            )
    shown_quotes = quotes[:SHOWN_QUOTES]
    dates = [q.published for q in shown_quotes if q.published]
    return Answer(
        question=result.analysis.text,
        confidence=confidence,
        reason=reason,
        quotes=quotes,
        corpus_version=snapshot.version,
        # "As of" the newest source quoted: None when every quoted source is undated.
        as_of=max(dates) if dates else None,
        timings_ms=dict(result.timings_ms),
        span_note=span_note(shown_quotes),
        evidence=evidence,
        translations=english is not None,
        newest=newest.line() if newest is not None else None,
    )


def with_english(answer: AnswerJSON, snapshot: IndexSnapshot, english: EnglishSide) -> AnswerJSON:
    """`answer` with the English of its quotes as the renderings now stand: what an answer
    posted before its English existed shows once the English lands. Quotes of passages the
    served corpus no longer holds keep what they had."""
    passages = []
    for passage in answer["passages"]:
        row = snapshot.passage_by_id.get(passage.get("passage_id", ""))
        shown = (passage.get("excerpt") or row.text) if row is not None else ""
        quoted = (
            english.quoted(row.content_hash, row.text, shown, passage["highlight"])
            if row is not None
            else None
        )
        if quoted is not None:
            in_english, key, checked = quoted
            passage = {
                **passage,
                "english": in_english,
                "english_highlight": key,
                "english_checked": checked,
            }
        passages.append(passage)
    return {**answer, "passages": passages}


def awaiting_english(answer: AnswerJSON) -> dict[str, str]:
    """The shown quotes' passages whose English is not all there yet (none, or only their key
    sentences'), while translation is on: passage id → its key sentence."""
    if answer.get("translations") != "on":
        return {}
    return {
        p["passage_id"]: p["highlight"]
        for p in answer["passages"][:SHOWN_QUOTES]
        if "passage_id" in p and (p.get("english") is None or ON_ITS_WAY in (p["english"] or ""))
    }
