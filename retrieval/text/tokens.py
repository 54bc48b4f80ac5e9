"""Lexical matching: tokens for BM25 over Chinese (jieba) and Latin text (names, versions)."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache

# Dash-like characters that articles use inside names ("GPT‑4", "GPT—5").
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\uff0d"})
# "gpt-4o", "3.5", "o3", "q*", "gpt2-chatbot", "1.76"
LATIN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*\*?")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Function words that match everything and mean nothing.
EN_STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    do does did done have has had having it its this that these those there here what which who
    whom whose when where why how not no nor so than too very can could will would shall should
    may might must about into over after before between through during up down out off again
    further then once all any both each few more most other some such only own same just also
    much many i me my we our you your he him his she her they them their s t don doesn didn
    isn wasn aren weren hasn haven hadn won wouldn shouldn get got tell say said know
    whats hows whos wheres whens thing things stuff lol lmao gonna wanna gotta guys anyone
    someone something really actually basically literally kinda sorta ok okay yeah hey now
    tldr dr""".split()
)
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 都 就 而 但 并 把 被 让 给 对 从 向 这 那 这个 那个 这些 那些
    一个 我们 你们 他们 它们 我 你 他 她 它 什么 怎么 为什么 吗 呢 吧 啊 么 有 没有 会 能 可以
    已经 还 又 很 更 最 之 其 所 以 于 为 到 等 着 过 如果 因为 所以 然而 不过 什么样""".split()
)


def fold(text: str) -> str:
    """NFKC with one kind of dash; case kept (names are told apart by their capitals)."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def normalise(text: str) -> str:
    return fold(text).lower()


@cache
def _jieba():  # imported lazily: it prints to stderr and builds a prefix dict on first use
    import jieba

    from retrieval.text.glossary import chinese_terms

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for term in chinese_terms():
        jieba.add_word(term)
    return jieba


def latin_tokens(text: str) -> list[str]:
    """Latin words, numbers and versions; a compound also yields its parts ("gpt-4o" → gpt, 4o)."""
    out: list[str] = []
    for token in LATIN.findall(normalise(text)):
        if token in EN_STOPWORDS:
            continue
        out.append(token)
        parts = [p for p in re.split(r"[-]", token.rstrip("*")) if p]
        if len(parts) > 1:
            out.extend(p for p in parts if p not in EN_STOPWORDS)
    return out


def chinese_tokens(text: str) -> list[str]:
    jieba = _jieba()
    out: list[str] = []
    for run in CJK_RUN.findall(normalise(text)):
        out.extend(w for w in jieba.cut_for_search(run) if w not in ZH_STOPWORDS)
    return out


def tokenize(text: str) -> list[str]:
    return latin_tokens(text) + chinese_tokens(text)


def has_cjk(text: str) -> bool:
    return bool(CJK_RUN.search(text))
