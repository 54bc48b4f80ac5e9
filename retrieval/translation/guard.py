"""The check every English rendering must pass: what a reader acts on survives translation.

A small model's slips that change meaning while reading fluently are mostly of three kinds
(measured on this corpus, ../shared/research): a number lost or scaled wrong (3亿 is 300
million, not 3 billion), a name's version mangled ("4o" → "40"), and a negation dropped.
The guard cannot see a wrong meaning that keeps all of these; the "machine translation"
mark in every answer is for that.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrieval.text.glossary import renderings
from retrieval.text.tokens import has_cjk
from retrieval.translation.numbers import explicit, stated, zh_number

CHINESE_SCALE = {"万亿": 10**12, "亿": 10**8, "万": 10**4, "千": 10**3}
ENGLISH_SCALE = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "m": 10**6,
    "mn": 10**6,
    "billion": 10**9,
    "b": 10**9,
    "bn": 10**9,
    "trillion": 10**12,
    "t": 10**12,
    "tn": 10**12,
}
MONTHS = (
    "january february march april may june july august september october november december"
).split()
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()

# Latin tokens with a digit are names and versions ("GPT-4o", "o1", "Claude-3.5"): they must
# come through as they are. Pure numbers are checked by value below.
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*\*?|\d+[A-Za-z]+[A-Za-z0-9]*")
_CHINESE_NUMBER = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)(?:\s*(万亿|亿|万|千))?(\s*月)?")
_ENGLISH_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(thousand|million|billion|"
    r"trillion|bn|mn|tn|k|m|b|t)\b)?",
    re.I,
)
# Words with a negating character that do not negate ("不过" is "but", "未来" is "future").
# Words with a negating character that do not negate ("不过" is "but", "未来" is "future"),
# idioms that are positive in English ("不容小觑": significant), and A-not-A questions.
_NOT_NEGATIONS = re.compile(
    "不过|不断|不少|不仅|不但|不管|不久|不同|不错|不得不|不如|不然|不停|不禁|不用说|不可思议|"
    "差不多|要不|未来|无论|无数|无疑|无限|无关|无所谓|毫无疑问|并非如此|不容小觑|忍不住|停滞不前|"
    r"不由得|(.)[不没]\1"
)
_NEGATION = re.compile("并未|并没有|没有|无法|未|没|不|无|非(?!常)|别再|拒绝|否认")
_ENGLISH_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|nowhere|neither|nor|without|cannot|unable|"
    r"impossible|impractical|immature|lack\w*|fail\w*|den(?:y|ied|ies|ial)|refus\w*|reject\w*|"
    r"absent|instead|"
    r"rather than|yet to|un(?!der|til|ique|ivers|it|ion|iform|less)\w{3,}|"
    r"in(?:complete|capable|sufficient|ability|vincible|visible)\w*|im(?:possib|probab)\w*|"
    r"\w{3,}less|non-?\w+|halt\w*|stop\w*|hardly|barely|little|few)\b|n't",
    re.I,
)
_PREAMBLE = re.compile(
    r"^\s*(?:(?:certainly|sure|of course)[!,.]?\s*)?(?:here(?: is|'s) (?:the|a|my) "
    r"(?:english )?translation[^:\n]*:|(?:english )?translation:)\s*",
    re.I,
)


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    problems: tuple[str, ...] = ()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def strip_preamble(text: str) -> str:
    """Drop a chat model's "Here is the translation:" and quotes it wraps its answer in."""
    text = _PREAMBLE.sub("", text.strip(), count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    return text


def source_numbers(text: str) -> list[tuple[str, float | None, int | None]]:
    """(as written, value with its Chinese scale or None, month number or None) per number."""
    text = _fold(text)
    names = [m.span() for m in _LATIN_NAME.finditer(text)]
    out = []
    for match in _CHINESE_NUMBER.finditer(text):
        if any(a <= match.start() < b for a, b in names):
            continue
        number, scale, month = match.groups()
        value = float(number) * CHINESE_SCALE[scale] if scale else None
        month_number = (
            int(number) if month and number.isdigit() and 1 <= int(number) <= 12 else None
        )
        out.append((match.group().strip(), value, month_number))
    return out


def english_values(text: str) -> tuple[set[str], set[float]]:
    """Numbers as written (commas dropped) and their values with any scale word applied."""
    written: set[str] = set()
    values: set[float] = set()
    for match in _ENGLISH_NUMBER.finditer(_fold(text)):
        number, scale = match.group(1).replace(",", ""), match.group(2)
        written.add(number.rstrip("0").rstrip(".") if "." in number else number)
        value = float(number)
        values.add(value * ENGLISH_SCALE[scale.lower()] if scale else value)
    lower = text.lower()
    for n, word in enumerate(NUMBER_WORDS):
        if re.search(rf"\b{word}\b", lower):
            written.add(str(n))
            values.add(float(n))
    return written, values


_ZH_NUMERALS = re.compile(r"[零一二两三四五六七八九十百千]+")


def _source_values(source: str) -> set[float]:
    """Every value `source` (amounts already written out in English) states: its figures in
    digits, with or without a scale, and its numbers in Chinese numerals."""
    values = set(english_values(source)[1])
    values.update(v for _, v, _ in source_numbers(source) if v is not None)
    values.update(float(n) for n in re.findall(r"\d+(?:\.\d+)?", source))
    values.update(v for n in _ZH_NUMERALS.findall(source) if (v := zh_number(n)) is not None)
    return values


def _english_figures(english: str) -> list[tuple[str, float]]:
    """The figures an English rendering states in digits (not inside a name: "GPT-4o"), each
    with its value, a scale word applied ("10 million")."""
    text = _fold(english)
    names = [m.span() for m in _LATIN_NAME.finditer(text) if re.search(r"\d", m.group())]
    out = []
    for match in _ENGLISH_NUMBER.finditer(text):
        if any(a <= match.start() < b for a, b in names):
            continue
        number, scale = match.group(1).replace(",", ""), match.group(2)
        value = float(number) * (ENGLISH_SCALE[scale.lower()] if scale else 1)
        out.append((match.group().strip(), value))
    return out


def _plain(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def negations(text: str) -> int:
    """Negations in Chinese text, words that only look negative left out."""
    return len(_NEGATION.findall(_NOT_NEGATIONS.sub("", text)))


def english_negations(text: str) -> int:
    return len(_ENGLISH_NEGATION.findall(text))


def _squash(text: str) -> str:
    """Letters and digits only: "gpt2-chatbot", "GPT-2 chatbot" and "GPT2 Chatbot" agree."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


# Words whose sense a rumour turns on: a hedge, a condition, a report (who says so), a
# part of a year. Dropped, they turn "almost" into "all", "if" into a fact and a rumour
# into a statement (graded renderings, issue 26).
_SENSES: tuple[tuple[str, str, str], ...] = (
    (
        "如果|假如|假设|要是|倘若",
        r"\b(if|suppose|supposing|assum\w*|were|would|imagine)\b",
        "a condition (if)",
    ),
    (
        "几乎|差不多|接近",
        r"\b(almost|nearly|virtually|close to|approaching|near)\b",
        "a hedge (almost)",
    ),
    (
        "可能|也许|或许|大概|恐怕|估计|未必",
        r"\b(may|might|could|possibl\w*|perhaps|probabl\w*|likely|maybe|estimat\w*|"
        r"not necessarily|guess\w*|expect\w*|suggest\w*)\b",
        "a hedge (may)",
    ),
    (
        "据说|据悉|据报道|据称|传闻|传言|爆料|透露|消息人士|知情人士|"
        # 称 "says", not 称为 "is called", 堪称 "can be called", 名称 "name"…
        "(?<![名号堪简俗统通并职对相])称(?![为之号赞呼霸作心职得])",
        r"\b(report\w*|said|says|say|according|rumou?r\w*|reveal\w*|claim\w*|sources?|"
        r"alleged\w*|disclos\w*|leak\w*|insiders?|told|tell\w*|learn\w*|understood|stat\w*|"
        r"summar\w*|announc\w*|not(?:ed|es|ing)|wrote|writ\w*|explain\w*|insist\w*|argu\w*|"
        r"assert\w*|mention\w*|indicat\w*|conclud\w*|posted|tweet\w*)\b",
        "who says so (reportedly)",
    ),
    ("年底|年末", r"\b(end|late|close)\b", "the end of a year"),
    ("年初", r"\b(beginning|early|start)\b", "the beginning of a year"),
)
_KEPT_SENSES = tuple(
    (re.compile(chinese), re.compile(english, re.I), what) for chinese, english, what in _SENSES
)


def sense_words(text: str) -> list[str]:
    """English words for the senses of `text` a rendering must keep, and "<name> said" for
    who says so (what the fake translator keeps)."""
    words = [
        what.split("(")[-1].rstrip(")") for chinese, _, what in _KEPT_SENSES if chinese.search(text)
    ]
    return words + [f"{_english_name(m.group(1))} said" for m in _ZH_SAYS.finditer(_fold(text))]


# Who says or thinks so: a name right before 认为/表示/称/说… in the Chinese must be the one who
# says or thinks so in the English ("Dario 认为…" is not "they abandoned Dario and believed…").
_ZH_SAYS = re.compile(
    r"([A-Z][A-Za-z]+|奥特曼|马斯克|小扎|扎克伯格|纳德拉|黄仁勋)\s*(?:也|还|则|曾|更)?"
    r"(?:认为|表示|称|说|指出|透露|强调|坦言|承认|声称|写道|提到|解释|否认|预测|估计|相信)"
)
_EN_SAYS = (
    r"(?:\s+(?:also|however|has|had|then|further|later|previously|publicly|himself|herself|"
    r"once|still|even|,))*\s+(?:says|said|say|stat\w*|believ\w*|think\w*|thought|argu\w*|"
    r"not(?:ed|es|ing)|summar\w*|claim\w*|reveal\w*|told|wrote|writ\w*|point\w*|add\w*|"
    r"admit\w*|emphasi\w*|stress\w*|suggest\w*|explain\w*|insist\w*|reckon\w*|expect\w*|"
    r"predict\w*|estimat\w*|den\w*|mention\w*|indicat\w*|acknowledg\w*|confirm\w*|felt|"
    r"feel\w*|tweet\w*|posted)\b"
)
# A Chinese question: a question mark, or a question particle before the end.
_ZH_QUESTION = re.compile(r"[？?]|[吗呢][\s。！!…~]*$")
# A capitalised Latin name of three letters or more ("Dario", "Romero", "SemiAnalysis").
_CAPITALISED = re.compile(r"(?<![A-Za-z])[A-Z][a-zA-Z]{2,}(?![A-Za-z])")


def check(source: str, english: str) -> GuardResult:
    """What a reader acts on must survive from `source` into `english`: every amount, date,
    duration and number by value (read from the source as written out for the translator),
    every name (Latin, and the glossary's Chinese names), every negation, and a question
    stays a question."""
    if not has_cjk(source) and _squash(source) != _squash(english):
        # English already: a rendering can only change it ("we are certainly" → "We are
        # certainly not", made before such units were kept as they are).
        return GuardResult(False, ("the source is English; the rendering changed it",))
    written_out = explicit(source)
    problems = _kept(written_out, english)
    # A figure the source does not state, as written or written out ("上千万" is tens of
    # millions; "10 million" is invented).
    values = _source_values(source) | _source_values(written_out)
    for figure, value in _english_figures(english):
        if not any(abs(v - value) <= value * 0.01 for v in values):
            problems.append(f"figure {figure} not in the source")
    for fact in stated(source):
        month = next((m for m in MONTHS if m in fact.lower()), None)
        if month and month not in _fold(english).lower() and month[:3] not in english.lower():
            problems.append(f"date {fact} missing")
    lower = _fold(english).lower()
    for name in dict.fromkeys(_CAPITALISED.findall(_fold(source))):
        if name.lower() not in lower and _squash(name) not in _squash(english):
            problems.append(f"name {name} missing")
    for chinese, rendered in renderings().items():
        name = rendered.split(" (")[0]
        if chinese in source and name[:1].isupper() and name.lower() not in lower:
            problems.append(f"name {chinese} ({name}) missing")
    for chinese_words, english_words, what in _KEPT_SENSES:
        if chinese_words.search(source) and not english_words.search(english):
            problems.append(f"{what} dropped")
    for year in dict.fromkeys(re.findall(r"(?<![\w.])(?:19|20)\d\d(?!\w)", english)):
        if year not in explicit(source):
            problems.append(f"year {year} not in the source")
    for speaker in dict.fromkeys(m.group(1) for m in _ZH_SAYS.finditer(_fold(source))):
        english_name = _english_name(speaker)
        name = re.escape(english_name)
        said = rf"(?:\b{name}\b(?:'s)?{_EN_SAYS}|according to \w*\s*{name})"
        if english_name.lower() in lower and not re.search(said, english, re.I):
            problems.append(f"{speaker} no longer the one who says so")
    asks = bool(_ZH_QUESTION.search(source.strip()))
    if asks and "?" not in english:
        problems.append("a question rendered as a statement")
    elif not asks and english.rstrip().endswith("?"):
        problems.append("a statement rendered as a question")
    return GuardResult(not problems, tuple(dict.fromkeys(problems)))


def _english_name(name: str) -> str:
    """A speaker's name as the English has it: a Latin name as it is, a Chinese one by the
    glossary ("奥特曼" → "Altman")."""
    rendered = renderings().get(name)
    return rendered.split(" (")[0] if rendered else name


def _kept(source: str, english: str) -> list[str]:
    """Numbers, versioned names and negations of `source` (amounts already in English)."""
    problems: list[str] = []
    english = _fold(english).strip()
    if not english:
        return ["empty rendering"]
    if has_cjk(english):
        problems.append("Chinese left untranslated")
    if len(english) > 8 * len(source) + 80:
        problems.append("rendering far longer than the source")
    lower = english.lower()
    written, values = english_values(english)
    for shown, value, month in source_numbers(source):
        number = re.match(r"\d+(?:\.\d+)?", shown).group()  # type: ignore[union-attr]
        if value is not None:
            if not any(abs(v - value) <= value * 0.01 for v in values):
                problems.append(f"amount {shown} not rendered as {value:,.0f}")
        elif month is not None:
            name = MONTHS[month - 1]
            if name not in lower and name[:3] not in lower and _plain(number) not in written:
                problems.append(f"month {shown} missing")
        elif _plain(number) not in written:
            problems.append(f"number {shown} missing")
    squashed = _squash(english)
    for match in _LATIN_NAME.finditer(_fold(source)):
        name = match.group()
        if re.search(r"\d", name) and _squash(name) not in squashed:
            problems.append(f"name {name} missing")
    wanted = negations(source)
    if wanted and english_negations(english) < wanted:
        problems.append(f"{wanted} negation(s) in the source, fewer in the rendering")
    return problems


@dataclass(frozen=True)
class Aligner:
    """The guard's reading of meaning: each unit's English set against its Chinese with a
    cross-lingual embedding (`embed`: texts → unit vectors; EmbeddingGemma's similarity
    prompt in the product). English far from its Chinese says something else or leaves much
    out; an English sentence far from it was added (a small model's invented sentence).
    Thresholds: docs/quality.md, "English renderings"."""

    embed: Callable[[list[str]], np.ndarray]
    least: float  # cosine of the whole English to its Chinese, at least
    sentence_least: float  # cosine of each English sentence to the Chinese, at least

    def problems(self, chinese: str, english: str) -> list[str]:
        parts = [s for s in _ENGLISH_SENTENCE.findall(english) if len(s.split()) >= 3]
        vectors = self.embed([chinese, english, *parts])
        problems = []
        whole = float(vectors[0] @ vectors[1])
        if whole < self.least:
            problems.append(f"the English does not say what the Chinese says ({whole:.2f})")
        if len(parts) > 1:
            for part, vector in zip(parts, vectors[2:], strict=True):
                if float(vectors[0] @ vector) < self.sentence_least:
                    problems.append(f"a sentence the Chinese does not have: {part[:60]!r}")
        return problems


# A sentence ends at ".", "!" or "?" before a space or the end: "Opus 3.5" is one word.
_ENGLISH_SENTENCE = re.compile(r"\S.*?(?:[.!?]+[\"”’)]?(?=\s|$)|$)", re.S)
