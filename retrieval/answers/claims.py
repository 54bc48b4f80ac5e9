"""Checking a message rather than a question: a pasted tweet, a forwarded rumour. A long
message is checked by the sentence of it that the corpus matches best."""

from __future__ import annotations

from collections.abc import Callable

from retrieval.answers.answer import LABELS, Answer
from retrieval.corpus import passages

LONG_MESSAGE = 200  # characters; a shorter message is one claim
MAX_SENTENCES = 10  # checked of a long message (each is one search)
MIN_SENTENCE = 8  # characters; "lol." and "见下：" are not claims


def sentences(text: str) -> list[str]:
    """The message's sentences, in order, each as written: a line break ends one too (a
    passage is one paragraph, a message often several lines)."""
    return [
        sentence
        for line in text.splitlines()
        for sentence in passages.sentences(line)
        if len(sentence) >= MIN_SENTENCE
    ]


def strongest_claim(text: str, ask: Callable[[str], Answer]) -> tuple[str, bool]:
    """(what to check, whether it is one sentence picked out of a long message): the sentence
    whose answer the corpus supports best (label first, then the top quote's score)."""
    candidates = sentences(text)[:MAX_SENTENCES]
    if len(text) <= LONG_MESSAGE or len(candidates) < 2:
        return text, False

    def support(sentence: str) -> tuple[int, float]:
        answer = ask(sentence)
        top = answer.quotes[0].score if answer.quotes else 0.0
        return -LABELS.index(answer.confidence), top

    return max(candidates, key=support), True
