"""Follow-up questions: a question asked in a thread is read with the thread's earlier ones.

Only the topic travels: the names (versioned models, capitalised names) of the latest earlier
question that had any. A question that names its own topic is searched as asked; one that
names none and points back ("who reported that?", "when was that?", "谁报道的？") or says too
little to stand alone is searched with the earlier topic added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.search.analysis import QueryAnalysis

# Words that point back to something said before.
_BACK_EN = re.compile(
    r"\b(that|this|it|its|they|them|their|he|she|him|his|her|those|these|there|then|same"
    r"|what about|how about|and)\b",
    re.I,
)
_BACK_ZH = re.compile(r"那|这|它|他|她|其|此|该|当时|后来|呢")
# A question with fewer ideas than this cannot stand alone.
STANDALONE_TERMS = 2
TOPIC_CHARS = 80


@dataclass(frozen=True)
class FollowUp:
    searched: str  # the question as searched: itself plus the carried topic
    topic: str  # what was taken from the thread, as shown to the asker


def _topic(analysis: QueryAnalysis) -> str:
    if analysis.entities:
        return ", ".join(analysis.entities)
    text = analysis.text.strip()
    return text if len(text) <= TOPIC_CHARS else text[: TOPIC_CHARS - 1] + "…"


def follow_up(
    question: str,
    earlier: Sequence[str],
    analyse: Callable[[str], QueryAnalysis],
) -> FollowUp | None:
    """How to search `question`, asked after `earlier` (the thread's questions as they were
    searched, newest first); None when it stands on its own."""
    if not earlier:
        return None
    asked = analyse(question)
    if asked.entities:
        return None  # it names its own topic: never bent by the old one
    points_back = _BACK_ZH.search(question) if asked.is_chinese else _BACK_EN.search(question)
    if not points_back and len(asked.term_groups) >= STANDALONE_TERMS:
        return None
    previous = [analyse(text) for text in earlier[:5]]
    source = next((a for a in previous if a.entities), previous[0])
    topic = _topic(source)
    return FollowUp(f"{question} {topic}", topic)
