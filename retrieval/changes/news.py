"""Following a topic: which passages a corpus change brought or took away about it, and what
that does to what the corpus knows (a first on-record statement, another independent origin,
news newer than anything before)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retrieval.answers.credibility import Voice, passage_voice
from retrieval.corpus.store import CorpusChange, GonePassage, PassageRow, SourceInfo
from retrieval.search.analysis import QueryAnalysis

# A passage is about a topic when it names all of the topic's names and most of its ideas:
# "Opus 3.5" needs both the name and the version, "GPT-5 release" its name and "release".
TOPIC_COVERAGE = 0.75
ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


@dataclass(frozen=True)
class TopicNews:
    """What one corpus change means for one followed topic."""

    topic: str
    new: tuple[PassageRow, ...]  # passages the change brought that are about the topic
    gone: tuple[GonePassage, ...]  # passages about it that the change took away
    sources: tuple[SourceInfo, ...]  # the new or changed sources those new passages are in
    picture: tuple[str, ...]  # what the change does to what is known, in words


def is_about(analysis: QueryAnalysis, text: str) -> bool:
    coverage, unmatched = analysis.judge(text)
    names = {e.lower() for e in analysis.entities}
    named = not any(idea.lower() in names for idea in unmatched)
    return bool(analysis.term_groups) and named and coverage >= TOPIC_COVERAGE


def topic_news(
    topic: str,
    analysis: QueryAnalysis,
    change: CorpusChange,
    passages: tuple[PassageRow, ...],
    sources: dict[str, SourceInfo],
    english_of: Callable[[str], str | None],
) -> TopicNews | None:
    """The change as it touches `topic` (None when it does not): `passages` and `sources` are
    the corpus after the change, `english_of` a passage's English rendering by content hash
    (an English topic is matched in English too)."""

    def about(heading: str | None, text: str, content_hash: str | None = None) -> bool:
        english = english_of(content_hash) if content_hash else None
        return is_about(analysis, f"{heading or ''}\n{text}\n{english or ''}")

    new_ids = {p.id for p in change.new}
    new = tuple(
        p for p in change.new if p.source_id in sources and about(p.heading, p.text, p.content_hash)
    )
    gone = tuple(g for g in change.gone if about(g.heading, g.text))
    if not new and not gone:
        return None
    before = [
        (p, sources[p.source_id])
        for p in passages
        if p.id not in new_ids and about(p.heading, p.text, p.content_hash)
    ]
    new_sources = tuple(dict.fromkeys(sources[p.source_id] for p in new))
    return TopicNews(
        topic,
        new,
        gone,
        new_sources,
        tuple(_picture(new, gone, before, sources)),
    )


def _picture(
    new: tuple[PassageRow, ...],
    gone: tuple[GonePassage, ...],
    before: list[tuple[PassageRow, SourceInfo]],
    sources: dict[str, SourceInfo],
) -> list[str]:
    old_voices = [passage_voice(p.text, p.heading, s) for p, s in before]
    new_voices = [passage_voice(p.text, p.heading, sources[p.source_id]) for p in new]
    said: list[str] = []
    if new:
        said += _new_voices(old_voices, new_voices)
        old_dates = [s.published for _, s in before if s.published]
        new_dates = [d for p in new if (d := sources[p.source_id].published)]
        if new_dates and old_dates and max(new_dates) > max(old_dates):
            said.append(
                f"newer than everything quoted before on it (latest until now: {max(old_dates)})"
            )
    if gone:
        titles = ", ".join(dict.fromkeys(g.source.title for g in gone))
        said.append(f"{len(gone)} passage(s) on it are no longer quoted (from {titles})")
        left_on_record = any(v.tier == "on-record" for v in old_voices + new_voices)
        gone_on_record = any(
            passage_voice(g.text, g.heading, g.source).tier == "on-record" for g in gone
        )
        if gone_on_record and not left_on_record:
            said.append("no on-record statement on it is left in the corpus")
    return said


def _new_voices(old: list[Voice], new: list[Voice]) -> list[str]:
    said = []
    if not old:
        said.append("the corpus's first source on it")
    if any(v.tier == "on-record" for v in new) and not any(v.tier == "on-record" for v in old):
        said.append("first on-record statement on it")
    old_origins = {v.origin for v in old if v.tier != "comment"}
    new_origins = dict.fromkeys(v.origin for v in new if v.tier != "comment")
    added = [o for o in new_origins if o not in old_origins]
    if old_origins and len(added) == 1:
        count = len(old_origins) + 1
        nth = ORDINALS.get(count, f"{count}th")
        said.append(f"a {nth} independent origin now reports on it ({added[0]})")
    elif old_origins and added:
        said.append(f"{len(added)} more independent origins now report on it ({', '.join(added)})")
    return said
