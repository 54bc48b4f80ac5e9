"""The field's English–Chinese glossary (`data/glossary.tsv`)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def glossary() -> dict[str, list[str]]:
    """English term (lower case) → Chinese terms."""
    text = resources.files("retrieval").joinpath("data/glossary.tsv").read_text("utf-8")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, chinese = line.partition("\t")
        out[english.strip().lower()] = [c.strip() for c in chinese.split(",") if c.strip()]
    return out


def chinese_terms() -> set[str]:
    """Multi-character Chinese glossary terms: words jieba must not cut apart (预训练)."""
    return {
        term
        for terms in glossary().values()
        for term in terms
        if len(term) > 1 and all("\u4e00" <= ch <= "\u9fff" for ch in term)
    }
