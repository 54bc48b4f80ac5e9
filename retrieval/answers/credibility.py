"""Who said it and how firsthand: tiers, origins, and what counts as corroboration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.corpus.manifest import TIERS
from retrieval.corpus.store import SourceInfo

TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
STRONG_TIERS = frozenset({"on-record", "report"})
# A quotation of some length next to a speech verb: someone's own words, reported.
_QUOTATION = re.compile(r"[“\"「『]([^”\"」』]{8,})[”\"」』]")
_SPEECH = re.compile(r"(说|表示|称|透露|写道|推文|宣称|said|says|told|tweeted|wrote)", re.I)


# A section of readers' or users' comments inside an article ("Slashdot网友评论").
_COMMENTS = re.compile(r"网友|评论区|读者(评论|留言)|留言|comments?\b|commenters?|reddit", re.I)


@dataclass(frozen=True)
class Voice:
    """Who speaks in a passage, and how firsthand."""

    tier: str
    origin: str


def passage_voice(text: str, heading: str | None, source: SourceInfo) -> Voice:
    """A passage under a comments heading is anonymous commenters, whatever the article's
    origin (a TechCrunch relay's Slashdot comments are not TechCrunch reporting); otherwise
    it speaks with its source's voice."""
    if heading and _COMMENTS.search(heading):
        return Voice("comment", f"anonymous commenters ({heading})")
    who = source.origin or source.outlet or source.author or source.title
    return Voice(passage_tier(text, source.tier), who)


def passage_tier(text: str, source_tier: str | None) -> str:
    """A report's passage that quotes someone directly is on the record; otherwise the
    passage has its source's tier. Quotes inside analyses and retellings stay second-hand."""
    tier = source_tier or "analysis"
    if tier == "report" and _QUOTATION.search(text) and _SPEECH.search(text):
        return "on-record"
    return tier


@dataclass(frozen=True)
class Support:
    """One passage that supports an answer."""

    origin: str
    tier: str
    outlet: str


def strongest(supports: list[Support]) -> str | None:
    return min((s.tier for s in supports), key=TIER_RANK.__getitem__, default=None)


def origins(supports: list[Support]) -> list[str]:
    """Distinct origins: two relays of one report are one source, not two."""
    return list(dict.fromkeys(s.origin for s in supports))


def describe(supports: list[Support]) -> str:
    """The support in words: independent agreement, or one source and how firsthand it is."""
    distinct = origins(supports)
    if len(distinct) >= 2:
        best = strongest(supports)
        kind = "reports" if best in STRONG_TIERS else "sources, none a direct report"
        return f"{len(distinct)} independent {kind} agree ({', '.join(distinct)})"
    origin = distinct[0]
    relays = sorted({s.outlet for s in supports if s.outlet and s.outlet != origin})
    via = f" (via {', '.join(relays)})" if relays else ""
    tier = strongest(supports)
    lead = {
        "on-record": f"on the record: {origin}{via}",
        "report": f"reported by {origin}{via}",
        "analysis": f"one analysis, {origin}{via}",
        "retelling": f"only a retelling of {origin}{via}",
        "comment": f"only {origin}{via}",
    }[tier or "analysis"]
    return f"{lead}; no independent confirmation"
