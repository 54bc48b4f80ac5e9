"""What the corpus lacks, for the people who curate it: the questions it answered badly
(labelled low or none, or given a 👎), grouped by meaning, largest group first, each with the
corpus's nearest source. Tells curators which source to add next."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from bot.store.answers import AnswerRecords, WeakAnswer
from retrieval.answers.engine import AnswerEngine
from retrieval.db.tables import utcnow
from retrieval.embedding.calibration import Calibration
from retrieval.embedding.embedders import Embedder
from retrieval.text.tokens import fold

EXAMPLES = 3


@dataclass(frozen=True)
class Gap:
    size: int  # distinct (asker, question) pairs
    examples: tuple[str, ...]  # newest first
    last_asked: datetime
    reasons: dict[str, int]  # given with 👎s
    nearest: str | None  # the corpus's nearest source to the group's central question


def _key(answer: WeakAnswer) -> tuple[str, str]:
    return answer.user_id or "", " ".join(fold(answer.question).lower().strip(" ?？!！.。").split())


def distinct(answers: Sequence[WeakAnswer]) -> list[WeakAnswer]:
    """One entry per asker and question (asked twice by one person counts once), its reasons
    merged and its latest time kept."""
    merged: dict[tuple[str, str], WeakAnswer] = {}
    for answer in answers:
        key = _key(answer)
        if key in merged:
            earlier = merged[key]
            answer = WeakAnswer(
                answer.user_id,
                answer.question,
                max(earlier.asked_at, answer.asked_at),
                answer.confidence,
                earlier.reasons + answer.reasons,
            )
        merged[key] = answer
    return list(merged.values())


def find_gaps(
    answers: Sequence[WeakAnswer],
    embedder: Embedder,
    nearest: Callable[[str], str | None],
    distance: float = Calibration().gap_distance,
) -> list[Gap]:
    """Group the questions by meaning; `nearest` names the corpus's nearest source to one."""
    asked = distinct(answers)
    if not asked:
        return []
    vectors = embedder.embed_similar([a.question for a in asked])
    if len(asked) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
        ).fit_predict(vectors)
    gaps = []
    for label in np.unique(labels):
        members = [i for i in range(len(asked)) if labels[i] == label]
        group = sorted((asked[i] for i in members), key=lambda a: a.asked_at, reverse=True)
        centre = vectors[members].mean(axis=0)
        central = asked[members[int(np.argmax(vectors[members] @ centre))]]
        examples = tuple(dict.fromkeys(a.question for a in group))[:EXAMPLES]
        gaps.append(
            Gap(
                size=len(group),
                examples=examples,
                last_asked=group[0].asked_at,
                reasons=dict(Counter(r for a in group for r in a.reasons)),
                nearest=nearest(central.question),
            )
        )
    return sorted(gaps, key=lambda g: (-g.size, -g.last_asked.timestamp()))


def gaps_of(engine: AnswerEngine, records: AnswerRecords, days: int) -> list[Gap]:
    """The gaps of the last `days` days, from the answer log, with the served corpus."""

    def nearest(question: str) -> str | None:
        hits = engine.searcher.search(engine.snapshot, question).hits
        if not hits:
            return None
        source = hits[0].source
        when = source.published.isoformat() if source.published else "undated"
        return f"{source.title} ({source.outlet or source.author or 'unknown outlet'}, {when})"

    since = utcnow() - timedelta(days=days)
    distance = engine.calibration.gap_distance
    return find_gaps(records.weak_answers(since), engine.embedder, nearest, distance)
