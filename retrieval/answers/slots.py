"""What a question asks for, and whether a sentence states that kind of thing.

A question's *slot* is the kind of thing its answer must state: a number (how many, how
much, a price, a size, a score, a valuation), a time (when, a date, how long), a name (who,
which company) or a reason (why). Questions of other kinds (what is, how does, yes or no)
have no slot: any passage on their subject may answer them.

The label uses it: a question on the corpus's topics whose slot no quote fills is answered
*low*, "the sources discuss X, but none gives a parameter count"; the key sentence prefers
units that fill the slot. Patterns cover English as people type it in Slack and Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from retrieval.corpus.passages import sentences
from retrieval.search.analysis import QueryAnalysis
from retrieval.text.tokens import fold


class Slot(StrEnum):
    NUMBER = "number"
    TIME = "time"
    NAME = "name"
    REASON = "reason"


@dataclass(frozen=True)
class Asked:
    """The slot a question asks to fill, and how to name it in a reason ("a price")."""

    slot: Slot | None
    noun: str = ""


# What the question asks for, most specific first: the first pattern that matches decides.
# (pattern, slot, noun); a noun names the thing asked for in the label's reason.
_PERSONS = (
    "company|companies|lab|labs|firm|person|people|team|investors?|execs?|executives?|"
    "employees?|researchers?|engineers?|ceo|founder|host|author|reporter|journalist|outlet|"
    "publication|leaderboard|competition|contest"
)
_ASKS: tuple[tuple[re.Pattern[str], Slot, str], ...] = tuple(
    (re.compile(pattern, re.I), slot, noun)
    for pattern, slot, noun in (
        (
            r"\b(why|how come|what('s| is| was) the reason|reasons? for)\b|"
            r"为什么|为何|怎么会|什么原因|原因是",
            Slot.REASON,
            "a reason",
        ),
        (
            r"\b(price[sd]?|pricing|costs?|charge[sd]?|fee)\b|价格|售价|定价|收费|多少钱|成本|花费",
            Slot.NUMBER,
            "a price or cost",
        ),
        (r"\b(param(eter)?s?|parameter count)\b|参数", Slot.NUMBER, "a parameter count"),
        (r"\bcontext (window|length)\b|上下文(窗口|长度)", Slot.NUMBER, "a context size"),
        (r"\bvaluation\b|\bworth\b|估值", Slot.NUMBER, "a valuation"),
        (
            r"\b(elo|score[sd]?|percentile|benchmark result|accuracy)\b|分数|得分|跑分|准确率",
            Slot.NUMBER,
            "a score",
        ),
        (r"\bhow (many|much)\b|\bnumber of\b|多少|几[个亿万千百次位名]", Slot.NUMBER, "a number"),
        (r"\bhow (big|large|small|fast|expensive)\b|\bsize\b|多大|规模", Slot.NUMBER, "a size"),
        (r"\bhow long\b|多久|多长时间", Slot.TIME, "how long it took"),
        (
            # "when" opens the question ("so when did…") or asks ("when will…"); "worse when
            # turned into a chat model" does not ask for a time.
            r"^\W*(so |and |but |ok |hey |wait )?when\b|"
            r"\bwhen (will|did|was|were|is|are|does|do|has|have|can|could|would|should)\b|"
            r"\b(what (date|year|month|day)|which (year|month|day)|release date|since when|"
            r"by when|how soon)\b|什么时候|何时|哪(一)?[天年月]|几月|日期",
            Slot.TIME,
            "a date",
        ),
        (
            rf"\b(who|whom|whose|which (\w+ )?({_PERSONS}))\b|"
            r"谁|哪家|哪个(公司|团队|人)|哪些(公司|人)",
            Slot.NAME,
            "a name",
        ),
    )
)

# A quantity: a number with a unit or a currency, in Arabic or Chinese numerals. Versioned
# names ("GPT-4o", "Opus 3.5") and dates are removed before this is looked for.
_DIGITS = r"\d[\d,.]*"
_ZH_DIGITS = r"[零一二两三四五六七八九十百千万亿几数]+"
_UNIT = (
    r"(?:\s*(?:%|％|倍|亿|万|千|百|兆|美元|美金|元|刀|英镑|欧元|dollars?|usd|bn|billion|million|"
    r"trillion|thousand|[kmbt](?![a-z])|个|名|位|人|次|张|块|台|家|层|卡|项|条|款|种|轮|篇|"
    r"公斤|千克|吨|tokens?|参数|parameters?|params?|分|的?\s*elo|percent|percentile|"
    r"x(?![a-z])|times|年|个月|周|天|小时|GPU|H100|A100))"
)
NUMBER_STATED = re.compile(
    rf"(?:[$¥€£]\s*{_DIGITS})|(?:{_DIGITS}{_UNIT})|(?:{_ZH_DIGITS}{_UNIT})|百分之|"
    # A figure without a unit: a decimal or a number of two digits or more.
    r"(?<![\d.])\d+\.\d+|(?<![\d.])\d{2,}(?![\d.])",
    re.I,
)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
TIME_STATED = re.compile(
    r"(?:19|20)\d\d|\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十]+月|"
    r"去年|今年|明年|前年|上个?月|下个?月|本月|年底|年初|年中|上半年|下半年|季度|"
    r"[春夏秋冬]天|[春夏秋冬]季|上周|下周|本周|近期|最近|当天|随后|之后不久|"
    rf"(?<![a-z]){_MONTHS}(?![a-z])|(?<![a-z])(last|next|this|that) (year|month|week|summer|"
    r"fall|autumn|spring|winter)(?![a-z])|(?<![a-z])q[1-4](?![a-z0-9])|"
    r"(?<![a-z])(months?|weeks?|years?|days?) (ago|later|after|before)(?![a-z])|"
    r"(?:\d+|[一二两三四五六七八九十几数半]+)\s*(?:个)?多?(?:年|月|周|星期|天|小时)"
    r"(?:前|后|多|半|之后|以后|以来)?",
    re.I,
)
# A person or organisation: a capitalised Latin name, or a Chinese organisation name; the
# names the question itself uses do not count (they are what the answer is about).
# (Boundaries by lookaround: `\b` sees none between a Chinese character and a Latin letter.)
_LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*(?![A-Za-z])")
_ZH_ORG = re.compile(r"[\u4e00-\u9fff]{1,8}(?:公司|集团|资本|银行|基金|实验室|研究院|大学|社|团队)")
_ZH_NAMES = re.compile(
    r"奥特曼|阿尔特曼|马斯克|纳德拉|扎克伯格|小扎|黄仁勋|孙正义|软银|微软|谷歌|彭博|英伟达|甲骨文|"
    r"苹果|亚马逊|红杉|迪拉|达里奥|伊利亚"
)
REASON_STATED = re.compile(
    r"因为|由于|原因|考虑到|之所以|导致|所以|因此|为了|出于|鉴于|理由|否则|以至于|结果|"
    r"\bbecause\b|\bdue to\b|\bowing to\b|\bso that\b|\bin order to\b|\bas a result\b|\breason",
    re.I,
)


def asked(question: str) -> Asked:
    """The slot `question` asks to fill (None: it asks for no specific kind of thing)."""
    for pattern, slot, noun in _ASKS:
        if pattern.search(question):
            return Asked(slot, noun)
    return Asked(None)


# "GPT-4o", "Opus 3.5", "o3": a name with a version, inside Chinese text too (where `\b` finds
# no boundary between a Chinese character and a Latin letter).
_VERSIONED = re.compile(r"(?<![A-Za-z])[A-Za-z]+[\s-]?\d+(?:\.\d+)?[a-z]?(?![A-Za-z0-9])")


def _without_versions(text: str) -> str:
    """Versioned names ("GPT-4o", "Opus 3.5") are not figures; markdown's escapes ("3\\.739")
    are not part of them."""
    return _VERSIONED.sub(" ", text.replace("\\", ""))


def fills(slot: Slot, sentence: str, question: str = "") -> bool:
    """Whether `sentence` states a thing of kind `slot`. A name the question itself uses
    ("Altman" in "who hosted the podcast where Altman said…") does not answer "who"."""
    sentence = fold(sentence)
    if slot is Slot.NUMBER:
        return bool(NUMBER_STATED.search(TIME_STATED.sub(" ", _without_versions(sentence))))
    if slot is Slot.TIME:
        return bool(TIME_STATED.search(_without_versions(sentence)))
    if slot is Slot.REASON:
        return bool(REASON_STATED.search(sentence))
    names = [m.group() for m in _LATIN_NAME.finditer(_without_versions(sentence))]
    names += [m.group() for m in _ZH_ORG.finditer(sentence)]
    names += [m.group() for m in _ZH_NAMES.finditer(sentence)]
    asked_about = fold(question).lower()
    return any(name.lower() not in asked_about for name in names)


def unfilled(analysis: QueryAnalysis, key_sentence: str, passage: str) -> str | None:
    """What the question asks for that the first quote does not state (its noun: "a
    parameter count"), or None. The quote states it when its key sentence does, or another of
    its sentences that mentions one of the question's ideas does. Reasons are not checked: a
    passage gives one without a word like "because" as often as with it."""
    wanted = asked(analysis.text)
    if wanted.slot is None or wanted.slot is Slot.REASON:
        return None
    if fills(wanted.slot, key_sentence, analysis.text):
        return None
    for sentence in sentences(passage):
        if any(analysis.mentioned(sentence)) and fills(wanted.slot, sentence, analysis.text):
            return None
    return wanted.noun
