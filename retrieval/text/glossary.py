"""The field's English–Chinese glossary (`data/glossary.tsv`), for both directions."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _rows() -> tuple[tuple[str, tuple[str, ...], str | None], ...]:
    text = resources.files("retrieval.text").joinpath("data/glossary.tsv").read_text("utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, chinese, rendering = [*line.split("\t"), "", ""][:3]
        terms = tuple(c.strip() for c in chinese.split(",") if c.strip())
        rows.append((english.strip(), terms, rendering.strip() or None))
    return tuple(rows)


@cache
def glossary() -> dict[str, list[str]]:
    """English term (lower case) → Chinese terms, for expanding English questions."""
    return {english.lower(): list(terms) for english, terms, _ in _rows()}


@cache
def renderings() -> dict[str, str]:
    """Chinese name or slang term → how the translator must render it (lines with a third
    column only: general vocabulary is left to the model)."""
    return {
        term: rendering
        for _, terms, rendering in _rows()
        if rendering
        for term in terms
        if _is_chinese(term)
    }


@cache
def english_names() -> dict[str, str]:
    """Chinese name → its English name, for the names the translator is told about."""
    return {term: english for english, terms, rendering in _rows() if rendering for term in terms}


def _is_chinese(term: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in term)


def chinese_terms() -> set[str]:
    """Multi-character Chinese glossary terms: words jieba must not cut apart (预训练)."""
    return {
        term for _, terms, _ in _rows() for term in terms if len(term) > 1 and _is_chinese(term)
    }
