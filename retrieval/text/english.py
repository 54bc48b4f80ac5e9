"""English words: stems (Snowball), chat abbreviations spelled out, and the tokens that BM25
indexes English renderings by."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from retrieval.text.tokens import EN_STOPWORDS, LATIN, normalise


@cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=16384)  # the stemmer is pure Python (~0.07 ms a word); words recur
def stem(word: str) -> str:
    """An English word's stem ("takeaways" → "takeaway", "released" → "releas")."""
    return _stemmer().stemWord(word)


@cache
def abbreviations() -> dict[str, str]:
    text = resources.files("retrieval.text").joinpath("data/abbreviations.tsv").read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {short.strip().lower(): long.strip() for short, long in rows}


def spell_out(question: str) -> str:
    """The question with chat abbreviations written out ("oai" → "OpenAI")."""
    table = abbreviations()

    def replace(match: re.Match[str]) -> str:
        return table.get(match.group().lower(), match.group())

    return re.sub(r"(?<![\w/])[A-Za-z]+/?(?![\w/])", replace, question)


def english_tokens(text: str) -> list[str]:
    """Stemmed English words; versions and numbers kept as written ("gpt-4o", "3.5")."""
    words = [w for w in LATIN.findall(normalise(text)) if w not in EN_STOPWORDS]
    plain = [w for w in words if w.isalpha()]
    stems = dict(zip(plain, _stemmer().stemWords(plain), strict=True))
    out = []
    for word in words:
        out.append(stems.get(word, word))
        if not word.isalpha() and "-" in word:
            out.extend(p for p in word.split("-") if p and p not in EN_STOPWORDS)
    return out
