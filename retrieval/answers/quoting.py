"""The key sentence of a quote, and what is shown of a long transcript passage.

The key sentence is the unit of a passage that answers the question best: by the share of the
question's ideas it mentions, its dense similarity to the question, and whether it holds what
the question asks for. Figures: docs/performance.md (benchmarks/answers.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from retrieval.answers.slots import NUMBER_STATED, REASON_STATED, TIME_STATED, Slot, asked
from retrieval.corpus.passages import LEAD_IN, is_transcript, is_unpunctuated, sentences
from retrieval.embedding.embedders import Embedder
from retrieval.search.analysis import QueryAnalysis

# Key sentence: weight of dense similarity against the question vs. coverage of its ideas
# (chosen on dev, checked on the hold-outs: docs/quality.md).
KEY_DENSE_WEIGHT = 0.75
TRANSCRIPT_RUN = 60  # characters of whole phrases in a transcript's key run
TRANSCRIPT_EXCERPT = 160  # characters shown of a transcript passage around its key run
ANSWER_TYPE_BONUS = 0.3
# Cosine below the closest unit at which a unit counts as not close at all.
DENSE_SPAN = 0.1


def excerpt(text: str, highlight: str, limit: int = TRANSCRIPT_EXCERPT) -> str | None:
    """Whole phrases of an unpunctuated transcript around its key run, about `limit`
    characters, "…" where cut; None when the text is short or has sentences to show whole."""
    if len(text) <= limit or highlight not in text:
        return None
    if not is_transcript(text):
        return None
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    key_start = text.index(highlight)
    key_end = key_start + len(highlight)
    first = next(i for i, (_, end) in enumerate(spans) if end > key_start)
    last = max(i for i, (start, _) in enumerate(spans) if start < key_end)
    # Grow by a phrase at a time, after first (what follows explains), while it fits.
    while True:
        grown = False
        if last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= limit:
            last, grown = last + 1, True
        if first > 0 and spans[last][1] - spans[first - 1][0] <= limit:
            first, grown = first - 1, True
        if not grown:
            break
    start, end = spans[first][0], spans[last][1]
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def units(text: str) -> list[str]:
    """What a key sentence can be: the passage's sentences, a lead-in ending in a colon joined
    to what it introduces; in unpunctuated transcript runs, runs of whole phrases of about
    TRANSCRIPT_RUN characters, one starting at each phrase."""
    return list(_units(text))


@lru_cache(maxsize=1024)  # per passage text: the same passages are quoted again and again
def _units(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for sentence in sentences(text):
        if is_unpunctuated(sentence):
            out.extend(_phrase_runs(sentence))
        elif out and out[-1].rstrip().endswith(LEAD_IN):
            out[-1] = text[text.index(out[-1]) : text.index(sentence) + len(sentence)]
        else:
            out.append(sentence)
    return tuple(dict.fromkeys(out))


def _phrase_runs(sentence: str) -> list[str]:
    """Runs of whole phrases of about TRANSCRIPT_RUN characters, one starting at each phrase;
    near the end, where a run would be short ("Opus 3.5" alone), the last full run instead."""
    phrases = sentence.split()
    runs: list[str] = []
    for start in range(len(phrases)):
        run = phrases[start]
        for phrase in phrases[start + 1 :]:
            if len(run) + 1 + len(phrase) > TRANSCRIPT_RUN:
                break
            run += " " + phrase
        if runs and start + len(run.split()) == len(phrases) and len(run) < TRANSCRIPT_RUN / 2:
            break  # the run before already reaches the end
        runs.append(run)
    return runs


def _answers_hold(question: str) -> list[re.Pattern[str]]:
    """What a unit holds when it answers the question's kind: a number for how much, a date
    for when, a reason for why (none for other questions)."""
    holds = {Slot.NUMBER: NUMBER_STATED, Slot.TIME: TIME_STATED, Slot.REASON: REASON_STATED}
    slot = asked(question).slot
    return [holds[slot]] if slot in holds else []


def best_sentence(
    text: str, analysis: QueryAnalysis, similarity: Sequence[float] | None = None
) -> str:
    """The unit that answers best: the share of the question's ideas it mentions, (when
    given, one per unit) how close it is to the question by the dense model, next to the
    closest unit, and whether it holds what the question asks for (a number, a date).
    A unit that is itself a question is never the answer: a passage restating the question
    ("所以，Orion为何会失败？") answers it in the unit after, which is scored as that question."""
    candidates = units(text)
    if not candidates:
        return text
    dense = [0.0] * len(candidates)
    if similarity is not None and len(similarity) == len(candidates):
        top = max(similarity)
        dense = [max(0.0, 1 - (top - x) / DENSE_SPAN) for x in similarity]
    answers_hold = _answers_hold(analysis.text)
    scores = [
        (1 - KEY_DENSE_WEIGHT) * analysis.coverage(u)
        + KEY_DENSE_WEIGHT * d
        + (ANSWER_TYPE_BONUS if any(p.search(u) for p in answers_hold) else 0.0)
        for u, d in zip(candidates, dense, strict=True)
    ]
    asks = [u.rstrip().endswith(("？", "?")) for u in candidates]
    if all(asks):
        return candidates[max(range(len(candidates)), key=lambda i: (scores[i], -i))]
    for i in range(1, len(candidates)):
        if asks[i - 1]:
            scores[i] = max(scores[i], scores[i - 1])
    best = max((i for i in range(len(candidates)) if not asks[i]), key=lambda i: (scores[i], -i))
    return candidates[best]


class UnitVectors:
    """Embeddings of passage units, kept in memory by text: each unit of a quoted passage is
    embedded the first time it is quoted, then reused (a corpus's quoted passages repeat)."""

    def __init__(self, embedder: Embedder, limit: int = 50_000):
        self.embedder = embedder
        self.limit = limit
        self._vectors: dict[str, np.ndarray] = {}

    def of(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            if len(self._vectors) + len(new) > self.limit:
                self._vectors.clear()  # rare: a corpus with more units than the limit
            embedded = np.asarray(self.embedder.embed_passages(new), dtype=np.float32)
            self._vectors.update(zip(new, embedded, strict=True))
        return np.stack([self._vectors[t] for t in texts])


def unit_similarities(
    vectors: UnitVectors | None, query: np.ndarray | None, texts: Sequence[str]
) -> list[list[float] | None]:
    """Each text's units against the question (None without a model)."""
    if vectors is None or query is None:
        return [None] * len(texts)
    per_text = [units(t) for t in texts]
    flat = [u for group in per_text for u in group]
    if not flat:
        return [None] * len(texts)
    scores = (vectors.of(flat) @ query).tolist()
    out: list[list[float] | None] = []
    for group in per_text:
        out.append(scores[: len(group)])
        scores = scores[len(group) :]
    return out
