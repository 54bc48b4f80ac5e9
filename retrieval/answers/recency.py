"""Questions about now ("is gpt-5 out yet?", "最新进展？"): how new the corpus's news on the
topic is, so an answer can say it and put the newest answering quote first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from retrieval.corpus.store import SourceInfo
from retrieval.index import IndexSnapshot
from retrieval.search.analysis import QueryAnalysis

# Words that ask about the present state of things rather than about a past event.
ABOUT_NOW_EN = re.compile(
    r"\b(yet|latest|still|any news|news on|(right )?now|currently|current status|today|"
    r"these days|recent(ly)?|any updates?|updates? on|so far|anymore|any more|as of)\b",
    re.IGNORECASE,
)
# 现在 now, 最新 latest, 目前 at present, 如今 nowadays, 最近 lately, 近况 recent state,
# 进展 progress, 至今 to date, 还…吗 "still …?".
ABOUT_NOW_ZH = re.compile(r"现在|最新|目前|如今|最近|近况|进展|至今|还[^。，,？?！!]{0,15}[吗么]")


def about_now(question: str) -> bool:
    return bool(ABOUT_NOW_EN.search(question) or ABOUT_NOW_ZH.search(question))


def coverage_beside_now(analysis: QueryAnalysis, unmatched: Iterable[str]) -> float:
    """A passage's coverage of the question without its words about now: "Orion 最新进展"
    is answered by a passage on Orion's progress that does not call itself the latest."""
    missing = set(unmatched)
    kept = [
        (i, w) for i, w in zip(analysis.ideas, analysis.weights, strict=True) if not about_now(i)
    ]
    total = sum(w for _, w in kept)
    return sum(w for i, w in kept if i not in missing) / total if total else 0.0


@dataclass(frozen=True)
class Newest:
    """The newest dated source the corpus has on a topic."""

    published: date
    who: str

    def line(self) -> str:
        return f"Newest source on this: {self.published} ({self.who}); nothing newer in the corpus"

    def age_days(self, today: date) -> int:
        return (today - self.published).days


def newest_source(sources: Iterable[SourceInfo]) -> Newest | None:
    dated = [s for s in sources if s.published is not None]
    if not dated:
        return None
    newest = max(dated, key=lambda s: s.published or date.min)
    assert newest.published is not None
    return Newest(newest.published, newest.outlet or newest.author or newest.title)


def topic_sources(analysis: QueryAnalysis, snapshot: IndexSnapshot) -> list[SourceInfo]:
    """Sources with a passage that names everything the question names ("GPT-5", "Orion");
    empty when the question names nothing the corpus has. Only the passages that have the
    names' tokens are read, not the whole corpus."""
    names = {e.lower() for e in analysis.entities} - {m.lower() for m in analysis.missing_entities}
    if not names:
        return []
    positions: np.ndarray | None = None
    for idea, forms in zip(analysis.ideas, analysis.term_groups, strict=True):
        if idea.lower() in names:
            have = np.unique(np.concatenate([snapshot.names.candidates(f) for f in forms]))
            positions = have if positions is None else np.intersect1d(positions, have)
    if positions is None:
        positions = np.arange(len(snapshot.passages))
    found = {}
    for position in positions:
        passage = snapshot.passages[position]
        if passage.source_id in found:
            continue
        _, unmatched = analysis.judge(f"{passage.heading or ''}\n{passage.text}")
        if not any(idea.lower() in names for idea in unmatched):
            found[passage.source_id] = snapshot.sources[passage.source_id]
    return list(found.values())
