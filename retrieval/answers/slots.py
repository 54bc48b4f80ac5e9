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
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from retrieval.corpus.passages import sentences
from retrieval.search.analysis import QueryAnalysis
from retrieval.text.tokens import fold
from retrieval.translation.guard import english_values, source_numbers


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
    # What a sentence that fills the slot must also be about, where the kind alone says too
    # little: a parameter count is a number said of parameters, not the year beside it.
    about: re.Pattern[str] | None = field(default=None, compare=False)


# What the question asks for, most specific first: the first pattern that matches decides.
# (pattern, slot, noun); a noun names the thing asked for in the label's reason.
_PERSONS = (
    "company|companies|lab|labs|firm|person|people|team|investors?|execs?|executives?|"
    "employees?|researchers?|engineers?|ceo|founder|host|author|reporter|journalist|outlet|"
    "publication|leaderboard|competition|contest"
)
# A duration ("six months", "一年半", "3 周"), not a date: what "how long" asks for. A year
# ("2024年") or a day of the month ("10 月") is not one.
DURATION_STATED = re.compile(
    r"(?<![\d.])(?:\d{1,2}(?:\.\d)?|[一二两三四五六七八九十几数半]+)\s*"
    r"(?:个多?月|多?个月|多?年|多?周|多?星期|多?天|多?小时|多?分钟)|"
    r"(?<![a-z])(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|few)\s+"
    r"(?:years?|months?|weeks?|days?|hours?|minutes?)(?![a-z])",
    re.I,
)
_ABOUT = {
    "price": r"美元|美金|元|刀|[$¥€£]|dollars?|usd|价|费|钱|成本|price|cost|charge|\bper\b",
    "parameters": r"参数|param|weights|权重",
    "context": r"token|上下文|context",
    "valuation": r"估值|valuation|valued|worth|市值",
    "score": r"\d\s*分|得分|分数|跑分|score|elo|points?|排名|名次|%|％|百分|percent",
}
_ASKS: tuple[tuple[re.Pattern[str], Slot, str, re.Pattern[str] | None], ...] = tuple(
    (re.compile(pattern, re.I), slot, noun, re.compile(about, re.I) if about else None)
    for pattern, slot, noun, about in (
        (
            r"\b(why|how come|what('s| is| was) the reason|reasons? for)\b|"
            r"为什么|为何|怎么会|什么原因|原因是",
            Slot.REASON,
            "a reason",
            None,
        ),
        (
            r"\b(price[sd]?|pricing|costs?|charge[sd]?|fee)\b|价格|售价|定价|收费|多少钱|成本|花费",
            Slot.NUMBER,
            "a price or cost",
            _ABOUT["price"],
        ),
        (
            r"\b(param(eter)?s?|parameter count)\b|参数",
            Slot.NUMBER,
            "a parameter count",
            _ABOUT["parameters"],
        ),
        (
            r"\bcontext (window|length)\b|上下文(窗口|长度)",
            Slot.NUMBER,
            "a context size",
            _ABOUT["context"],
        ),
        (r"\bvaluation\b|\bworth\b|估值", Slot.NUMBER, "a valuation", _ABOUT["valuation"]),
        (
            r"\b(elo|score[sd]?|percentile|benchmark result|accuracy)\b|分数|得分|跑分|准确率",
            Slot.NUMBER,
            "a score",
            _ABOUT["score"],
        ),
        (
            # A count of years, months or days is a duration: "六个多月" answers it.
            r"\bhow (long|many (years|months|weeks|days|hours))\b|多久|多长时间|"
            r"(多少|几)(年|个月|周|星期|天|小时)",
            Slot.TIME,
            "how long it took",
            DURATION_STATED.pattern,
        ),
        (
            r"\bhow (many|much)\b|\bnumber of\b|多少|几[个亿万千百次位名]",
            Slot.NUMBER,
            "a number",
            None,
        ),
        (
            r"\bhow (big|large|small|fast|expensive)\b|\bsize\b|多大|规模",
            Slot.NUMBER,
            "a size",
            None,
        ),
        (
            # "when" opens the question ("so when did…") or asks ("when will…"); "worse when
            # turned into a chat model" does not ask for a time.
            r"^\W*(so |and |but |ok |hey |wait )?when\b|"
            r"\bwhen (will|did|was|were|is|are|does|do|has|have|can|could|would|should)\b|"
            r"\b(what (date|year|month|day)|which (year|month|day)|release date|since when|"
            r"by when|how soon)\b|什么时候|何时|哪(一)?[天年月]|几月|日期",
            Slot.TIME,
            "a date",
            None,
        ),
        (
            rf"\b(who|whom|whose|which (\w+ )?({_PERSONS}))\b|"
            r"谁|哪家|哪个(公司|团队|人)|哪些(公司|人)",
            Slot.NAME,
            "a name",
            None,
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
# Whole month names or their abbreviations: "Mark" and "decision" are not months.
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
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
    for pattern, slot, noun, about in _ASKS:
        if pattern.search(question):
            return Asked(slot, noun, about)
    return Asked(None)


# A sentence that says the thing asked for is not known ("没有给出确切发布日期", "一位了解内情的
# 微软员工", "undisclosed") does not fill the slot, whatever else it states.
_NOT_GIVEN = {
    Slot.TIME: re.compile(
        r"(没有|并未|未|尚未)(给出|透露|公布|披露|说明|宣布|确定|明确)[^，。,.；]{0,6}(日期|时间)|"
        r"(没有|并未|尚未)(确切|明确|具体)的?(发布)?(日期|时间)|"
        r"\bno (exact |specific |firm |release )?(date|timeline)\b",
        re.I,
    ),
    Slot.NAME: re.compile(
        r"未具名|匿名|不愿透露姓名|知情人士|消息人士|"
        r"一位[^，。,.；]{0,10}(员工|人士|高管|研究员|工程师|专家)|"
        r"\b(unnamed|anonymous|a person familiar)\b",
        re.I,
    ),
    Slot.NUMBER: re.compile(
        r"(没有|并未|未|尚未)(给出|透露|公布|披露)[^，。,.；]{0,6}(数字|金额|数额|具体数|参数)|"
        r"\bundisclosed\b",
        re.I,
    ),
}


def says_not_given(slot: Slot, sentence: str) -> bool:
    """Whether `sentence` says the kind of thing asked for was not given ("no exact date")."""
    pattern = _NOT_GIVEN.get(slot)
    return bool(pattern and pattern.search(fold(sentence)))


# "GPT-4o", "Opus 3.5", "o3": a name with a version, inside Chinese text too (where `\b` finds
# no boundary between a Chinese character and a Latin letter).
_VERSIONED = re.compile(r"(?<![A-Za-z])[A-Za-z]+[\s-]?\d+(?:\.\d+)?[a-z]?(?![A-Za-z0-9])")


def _without_versions(text: str) -> str:
    """Versioned names ("GPT-4o", "Opus 3.5") are not figures; markdown's escapes ("3\\.739")
    are not part of them."""
    return _VERSIONED.sub(" ", text.replace("\\", ""))


def _figures(text: str) -> list[tuple[str, float]]:
    """The figures of `text` as written, each with its value (a Chinese scale applied)."""
    out = []
    for written, value, _ in source_numbers(text):
        number = re.match(r"\d+(?:\.\d+)?", written)
        if value is None and number:
            value = float(number.group())
        if value is not None:
            out.append((written, value))
    return out


def _without_figures(sentence: str, values: set[float]) -> str:
    """`sentence` without the figures whose values are in `values` (the question's own: "the
    40b plan" is not answered by "400亿融资计划")."""
    for written, value in _figures(sentence):
        if value in values:
            sentence = sentence.replace(written, " ")
    return sentence


def question_figures(question: str) -> set[float]:
    """The values of the figures a question states itself ("40b" → 4e10, "83 亿" → 8.3e9)."""
    return set(english_values(question)[1]) | {value for _, value in _figures(question)}


def fills(
    slot: Slot,
    sentence: str,
    question: str = "",
    about: re.Pattern[str] | None = None,
    named: Callable[[str], bool] | None = None,
) -> bool:
    """Whether `sentence` states a thing of kind `slot` (and, with `about`, what the thing
    must be about: a parameter count, a duration). What the question itself states does not
    count: its figures for "how much", and for "who" the names it uses, as written or, with
    `named`, in any form the question's analysis knows (微软 for "Microsoft")."""
    sentence = fold(sentence)
    if about is not None and not about.search(_without_versions(sentence)):
        return False
    if slot is Slot.NUMBER:
        plain = _without_figures(_without_versions(sentence), question_figures(question))
        return bool(NUMBER_STATED.search(TIME_STATED.sub(" ", plain)))
    if slot is Slot.TIME:
        # A duration asked for ("how long") is a time when it is there: checked above.
        return about is not None or bool(TIME_STATED.search(_without_versions(sentence)))
    if slot is Slot.REASON:
        return bool(REASON_STATED.search(sentence))
    names = [m.group() for m in _LATIN_NAME.finditer(_without_versions(sentence))]
    names += [m.group() for m in _ZH_ORG.finditer(sentence)]
    names += [m.group() for m in _ZH_NAMES.finditer(sentence)]
    asked_about = fold(question).lower()
    return any(name.lower() not in asked_about and not (named and named(name)) for name in names)


def unfilled(analysis: QueryAnalysis, key_sentence: str, passage: str) -> str | None:
    """What the question asks for that the first quote does not state (its noun: "a
    parameter count"), or None. The quote states it when its key sentence does, or another of
    its sentences that is as much about the question does; not when its key sentence
    says it is not known ("没有给出确切发布日期"). Reasons are not checked: a passage gives one
    without a word like "because" as often as with it."""
    wanted = asked(analysis.text)
    slot = wanted.slot
    if slot is None or slot is Slot.REASON:
        return None
    if says_not_given(slot, key_sentence):
        return wanted.noun

    def named(name: str) -> bool:
        return any(analysis.mentioned(name))

    def states(sentence: str) -> bool:
        return fills(slot, sentence, analysis.text, wanted.about, named)

    if states(key_sentence):
        return None
    # Another sentence counts when it is as much about the question as the key sentence:
    # "CEO奥特曼也表示过" beside "OpenAI" does not name the OpenAI executive asked about.
    least = max(analysis.coverage(key_sentence), 1e-9)
    for sentence in sentences(passage):
        if analysis.coverage(sentence) >= least and states(sentence):
            return None
    return wanted.noun
