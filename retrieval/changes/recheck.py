"""Whether a past answer changed materially after a corpus change, and the receipt that says
how. Pure functions over the answer's JSON (as logged) and the corpus's passage ids.

Material, so the Slack message is edited:
- another label;
- a passage among the first three quotes that the corpus did not have when the answer was
  given (a passage already there that only moved up is a reordering: BM25's weights shift a
  little with every new source, and such moves are not news);
- a passage of the first three quotes was changed or removed from the corpus.
Anything else (reordering, a new passage that does not reach the first three with the same
label) leaves the message alone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from retrieval.answers.payload import AnswerJSON, PassageJSON, QuotedPassage

SHOWN = 3


@dataclass(frozen=True)
class Revision:
    answer_id: int
    was: str  # the label shown until now
    now: str
    was_reason: str
    new: tuple[PassageJSON, ...]  # passages (answer JSON shape) the change brought in
    gone: tuple[PassageJSON, ...]  # quoted passages the change altered or took away
    answer: AnswerJSON  # the new answer, as it will be shown

    @property
    def label_changed(self) -> bool:
        return self.was != self.now

    @property
    def labels(self) -> str:
        """ "Medium → High", or "still Medium"."""
        if self.label_changed:
            return f"{self.was.capitalize()} → {self.now.capitalize()}"
        return f"still {self.now.capitalize()}"

    def record(self, version: int, when: date) -> dict[str, Any]:
        """What the answer log keeps of this correction."""
        return {
            "corpus_version": version,
            "at": when.isoformat(),
            "was": self.was,
            "now": self.now,
            "was_reason": self.was_reason,
            "new": [p.get("passage_id") for p in self.new],
            "gone": [p.get("passage_id") for p in self.gone],
        }


def _shown(answer: AnswerJSON) -> list[PassageJSON]:
    return (answer.get("passages") or [])[:SHOWN]


def revise(
    answer_id: int,
    old: AnswerJSON,
    new: AnswerJSON,
    added: Collection[str],
    present: Collection[str],
) -> Revision | None:
    """The correction `old` needs now that the corpus gives `new`, or None when the change is
    not material. `added`: ids of passages the corpus gained since `old` was given;
    `present`: ids of every passage the corpus has now."""
    before = {p.get("passage_id") for p in _shown(old)}
    brought = tuple(
        p for p in _shown(new) if p.get("passage_id") not in before and p.get("passage_id") in added
    )
    taken = tuple(p for p in _shown(old) if p.get("passage_id") not in present)
    if old.get("confidence") == new.get("confidence") and not brought and not taken:
        return None
    return Revision(
        answer_id=answer_id,
        was=old.get("confidence") or "none",
        now=new.get("confidence") or "none",
        was_reason=old.get("reason") or "",
        new=brought,
        gone=taken,
        answer=new,
    )


def describe_source(passage: QuotedPassage) -> str:
    """ "<title>, <outlet>, <date>, <tier>": what a receipt says of a source."""
    parts = [passage.get("title"), passage.get("outlet") or passage.get("author")]
    parts += [passage.get("published") or "undated", passage.get("tier")]
    return ", ".join(p for p in parts if p)


def receipt(revision: Revision, when: date) -> str:
    """One line, plain text (the caller escapes it for Slack)."""
    line = f"Updated {when.isoformat()} after a corpus change: {revision.labels}"
    sources = list(dict.fromkeys(describe_source(p) for p in revision.new))
    if sources:
        line += "; new: " + "; ".join(sources)
    gone = list(dict.fromkeys(describe_source(p) for p in revision.gone))
    if gone:
        line += "; no longer quoted (changed or removed): " + "; ".join(gone)
    if revision.label_changed:
        line += f" (was: {revision.was.capitalize()}, {revision.was_reason})"
    return line
