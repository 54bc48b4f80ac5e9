"""What the corpus names, looked up instead of scanned.

A question's names ("GPT-5", "Opus 3.5", "Altman" and its Chinese forms) are checked against
the corpus on every question. Scanning all passage text for every form costs 40 ms per absent
name at 100k passages; this lookup is built once per corpus version and costs microseconds.
It holds every Latin word of the passages and titles, every run of a compound's parts
("gpt-4o-mini": gpt-4o, 4o-mini, gpt, 4o, mini), every two words written side by side
("opus 3.5") and the titles' Chinese words; the passages' Chinese words are the lexical
index's tokens. A Chinese form that is no single token is confirmed in the passages that
have all its tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from itertools import pairwise
from pathlib import Path

import numpy as np

from retrieval.index.bm25 import BM25Index
from retrieval.text.tokens import LATIN, has_cjk, normalise, tokenize

NAMES_FILE = "names.json"
# A Chinese form is confirmed in at most this many passages that have all its tokens: past
# that, one of them saying it is all but certain, and the check must stay cheap.
MAX_CONFIRM = 500
# "gpt-5", "opus 3.5", "gpt5": a word followed by a version.
_VERSIONED = re.compile(r"([a-z]+)[\s-]?\d")


def latin_terms(text: str) -> set[str]:
    """The Latin words of a text, the runs of their parts, and the pairs written together."""
    norm = normalise(text)
    words = list(LATIN.finditer(norm))
    terms: set[str] = set()
    for match in words:
        parts = re.split(r"([-.])", match.group().rstrip("*"))
        terms.add(match.group())
        # parts alternate word, separator, word…: every run from a word to a word
        for start in range(0, len(parts), 2):
            for end in range(start + 1, len(parts) + 1, 2):
                terms.add("".join(parts[start:end]))
    for left, right in pairwise(words):
        if norm[left.end() : right.start()].isspace():
            terms.add(f"{left.group()} {right.group()}")
    terms.discard("")
    return terms


def save_names(directory: Path, terms: Iterable[str]) -> None:
    (directory / NAMES_FILE).write_text(json.dumps(sorted(terms), ensure_ascii=False))


class NameIndex:
    def __init__(
        self,
        terms: Iterable[str],
        lexical: BM25Index,
        passage_text: Callable[[int], str],
    ):
        self.terms = frozenset(terms)
        self.lexical = lexical
        self._text = passage_text  # a passage's normalised heading and text, by position
        self.versioned = frozenset(m.group(1) for t in self.terms if (m := _VERSIONED.match(t)))

    @classmethod
    def load(
        cls, directory: Path, lexical: BM25Index, passage_text: Callable[[int], str]
    ) -> NameIndex:
        return cls(json.loads((directory / NAMES_FILE).read_text()), lexical, passage_text)

    def names_versions(self, word: str) -> bool:
        """Whether the corpus writes the word with a version after it ("opus 3.5")."""
        return word.lower() in self.versioned

    def mentions(self, form: str) -> bool:
        """Whether any passage (or source title) says the form."""
        form = normalise(form).strip()
        if form in self.terms or self.lexical.doc_freq(form) > 0:
            return True
        if has_cjk(form):
            candidates = self.candidates(form)[:MAX_CONFIRM].tolist()
            return any(form in self._text(position) for position in candidates)
        words = form.split()
        # Three Latin words or more: every two of them written together somewhere.
        return len(words) > 2 and all(f"{a} {b}" in self.terms for a, b in pairwise(words))

    def candidates(self, form: str) -> np.ndarray:
        """Passages that have every lexical token of the form (a superset of those saying it)."""
        tokens = tokenize(form)
        if not tokens:
            return np.zeros(0, dtype=np.int64)
        postings = sorted((self.lexical.docs_with(t) for t in dict.fromkeys(tokens)), key=len)
        found = postings[0]
        for more in postings[1:]:
            if not len(found):
                break
            found = np.intersect1d(found, more, assume_unique=True)
        return found
