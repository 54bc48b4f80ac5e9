"""A topic's passages in publication order, so a reader sees how a story moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from retrieval.answers.credibility import passage_voice
from retrieval.answers.quoting import best_sentence
from retrieval.search.english import EnglishSide
from retrieval.search.hybrid import SearchResult
from retrieval.translation.render import english_of

MAX_ENTRIES = 12
ABOUT_THE_TOPIC = 0.5  # idf-weighted share of the topic's terms a passage must mention
LINE_CHARS = 140


@dataclass(frozen=True)
class TimelineEntry:
    published: date | None
    source_file: str
    title: str
    outlet: str | None
    tier: str
    origin: str | None
    quote: str  # one line, verbatim (cut with an ellipsis when long)
    passage_id: str
    # The quote's English where every sentence of it passed the translation guard, else None.
    english: str | None = None

    def to_json(self) -> dict:
        return {
            "published": self.published.isoformat() if self.published else None,
            "source_file": self.source_file,
            "title": self.title,
            "outlet": self.outlet,
            "tier": self.tier,
            "origin": self.origin,
            "quote": self.quote,
            "passage_id": self.passage_id,
            "english": self.english,
        }


def build_timeline(
    result: SearchResult, english: EnglishSide | None = None, limit: int = MAX_ENTRIES
) -> list[TimelineEntry]:
    """The passages about the searched topic, oldest first; undated ones last; each with its
    quote's English when `english` holds a rendering of it that passed the guard whole."""
    if result.analysis.missing_entities:
        return []
    about = [h for h in result.hits if h.coverage >= ABOUT_THE_TOPIC][:limit]
    entries = []
    for hit in about:
        line = " ".join(best_sentence(hit.passage.text, result.analysis).split())
        if len(line) > LINE_CHARS:
            line = line[: LINE_CHARS - 1] + "…"
        voice = passage_voice(hit.passage.text, hit.passage.heading, hit.source)
        rendering = english.rendering(hit.passage.content_hash) if english else None
        shown = english_of(rendering.segments, hit.passage.text, line, 0.5) if rendering else None
        entries.append(
            TimelineEntry(
                published=hit.source.published,
                source_file=hit.source.id,
                title=hit.source.title,
                outlet=hit.source.outlet,
                tier=voice.tier,
                origin=voice.origin,
                quote=line,
                passage_id=hit.passage.id,
                english=shown[0] if shown and shown[1] else None,
            )
        )
    order = {e.passage_id: i for i, e in enumerate(entries)}
    return sorted(
        entries,
        key=lambda e: (
            e.published is None,
            e.published or date.min,
            e.source_file,
            order[e.passage_id],
        ),
    )
