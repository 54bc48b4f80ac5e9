"""Untrusted text: cleaning what users send, escaping what goes into Slack mrkdwn, and whether
a message asks something."""

from __future__ import annotations

import re

from retrieval.search.analysis import MAX_QUESTION_CHARS

# C0/C1 controls except tab and newline, lone surrogates, bidirectional controls (U+202E
# makes an echoed question read backwards) and zero-width characters.
_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def clean_text(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """Remove control characters and lone surrogates; collapse whitespace; cut to `limit`."""
    text = _UNSAFE.sub("", text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text[:limit]


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped: `<!channel>` and `<@U…>` ping nobody and
    `<http://x|y>` forges no link once shown. Slack documents exactly these three."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def slack_to_plain(text: str) -> str:
    """A message's text as the asker meant it: mentions dropped, links reduced to their label.

    `<@U123>` and `<!here>` → removed; `<#C1|general>` → `#general`; `<http://x|y>` → `y`.
    """

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "!")):
            return ""
        if target.startswith("#"):
            return f"#{label}" if label else ""
        return label or target

    return unescape_slack(_SLACK_LINK.sub(replace, text))


def unescape_slack(text: str) -> str:
    """Text as typed: Slack sends `&`, `<` and `>` escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# "Do not share it" is an instruction; "Don't you think…?" ends with "?".
_EN_QUESTION_START = re.compile(
    r"^(what|what's|whats|why|who|who's|whom|whose|when|where|which|how|is|isn't|are|aren't|"
    r"was|wasn't|were|do(?! not\b)|does|doesn't|did|didn't|can|can't|could|will|won't|would|should|"
    r"has|hasn't|have|haven't|had|any|anyone|anybody|someone|does anyone|is it true)\b",
    re.IGNORECASE,
)
# 吗/呢/么 at the end, or a question word anywhere (哪怕 "even if" is not 哪 "which").
_ZH_QUESTION_END = re.compile(r"[吗呢么嘛][\s。.!！~～]*$")
_ZH_QUESTION_WORD = re.compile(
    r"为什么|为何|什么|是不是|是否|有没有|怎么|怎样|如何|多少|哪(?!怕)|谁|几时|难道"
)


def is_question(text: str) -> bool:
    """Whether a message asks something: ends with ? or ？, starts with a question word, or
    in Chinese ends with 吗/呢 or uses a question word."""
    text = text.strip()
    if not text:
        return False
    if text.rstrip(" .!~)）").endswith(("?", "？")):
        return True
    if _EN_QUESTION_START.match(text):
        return True
    return bool(_ZH_QUESTION_END.search(text) or _ZH_QUESTION_WORD.search(text))
