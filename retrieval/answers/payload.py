"""The answer as it crosses into the Slack app and the answer log: `Answer.to_json()`'s shape.

Typed, so that a renamed key fails the type check instead of a Slack message. Keys marked
`NotRequired` are missing from answers logged before they existed (read them with `.get`).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class QuotedPassage(TypedDict):
    """A passage as every surface quotes it (answers, digests, corrections)."""

    text: str
    excerpt: NotRequired[str | None]  # what is shown of a long passage; None: all of it
    highlight: str  # the key sentence, verbatim
    title: str
    url: str | None
    outlet: str | None
    author: str | None
    tier: NotRequired[str | None]  # on-record, report, analysis, retelling, comment
    published: str | None  # ISO date
    english: str | None  # None while pending or with translation off
    english_checked: bool | None
    english_highlight: NotRequired[str | None]  # the key sentence's English


class PassageJSON(QuotedPassage):
    """A quote of an answer."""

    passage_id: NotRequired[str]
    citation: NotRequired[int]  # one number per source, in order of first quote
    source_file: str
    kind: str | None
    older: NotRequired[bool]  # superseded by a newer quote on a question about now
    score: float
    origin: NotRequired[str | None]


class AnswerJSON(TypedDict):
    question: str
    confidence: str  # high, medium, low, none
    reason: str
    corpus_version: int | None
    as_of: str | None  # ISO date of the newest quoted source
    span_note: NotRequired[str | None]
    passages: list[PassageJSON]  # best first; the first three are shown
    translations: NotRequired[str]  # "on" or "off": whether English renderings are made
    context: NotRequired[str | None]  # a thread follow-up's topic from earlier questions
    newest: NotRequired[str | None]  # a question about now: how new the news is
    searched: NotRequired[str]  # what was searched (a follow-up with its context)
    timings_ms: NotRequired[dict[str, float]]
    # Set where the answer is shown: a checked message and the sentence it was checked by,
    # and after a correction the receipt that says what changed.
    checked: NotRequired[str | None]
    checked_sentence: NotRequired[str | None]
    receipt: NotRequired[str]


class Shown(TypedDict, total=False):
    """What an answer also shows, kept with it: the message a person asked to check, and the
    sentence of it that was checked."""

    checked: str | None
    checked_sentence: str | None
