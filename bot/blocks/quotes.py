"""A quoted passage as Slack shows it: the Chinese with its key sentence in bold, the English
rendering under it, and its citation."""

from __future__ import annotations

import re

from bot.blocks.base import KIND_TIER, byline, date_text, titled
from bot.text import escape_mrkdwn
from retrieval.answers.payload import PassageJSON, QuotedPassage


def citation(number: int, passage: PassageJSON) -> str:
    linked = titled(passage["title"], passage.get("url"))
    who = byline(passage.get("outlet"), passage.get("author"))
    kind = passage.get("tier") or KIND_TIER.get(passage.get("kind") or "", "source")
    when = date_text(passage.get("published"))
    return f"[{number}] {linked} — {who}, {when} ({kind})"


def quote_text(passage: QuotedPassage) -> str:
    """The passage (or the excerpt shown of it) as a Slack quote, its key sentence in bold."""
    text, highlight = passage.get("excerpt") or passage["text"], passage.get("highlight") or ""
    if highlight and highlight in text:
        before, _, after = text.partition(highlight)
        body = f"{escape_mrkdwn(before)}*{escape_mrkdwn(highlight).strip()}*{escape_mrkdwn(after)}"
    else:
        body = escape_mrkdwn(text)
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.split("\n"))


MT_NOTE = "English: machine translation, may contain errors"
UNCHECKED_NOTE = "parts whose English failed the check are not shown as a translation"
PENDING_NOTE = "(English translation pending)"
ENGLISH_BUDGET = 1500  # characters of English under one quote, cut at a sentence end


def cut_at_sentence(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a sentence end (else a word end), never
    mid-word: a cut rendering must not read as if it said something else."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    ends = [m.end() for m in re.finditer(r"[.!?][\"”’)]?(?=\s)", head)]
    if ends and ends[-1] >= limit // 4:  # a sentence end not too early, else a word end
        return head[: ends[-1]] + " …"
    return head[: head.rfind(" ")].rstrip(",;: ") + " …" if " " in head else head + "…"


def english_text(passage: QuotedPassage, translations_on: bool) -> str | None:
    """The rendering under a quote, in italics, its key sentence in bold too; None when
    there is nothing to say (translation off)."""
    english = passage.get("english")
    if not english:
        return f"_{PENDING_NOTE}_" if translations_on else None
    english = cut_at_sentence(english, ENGLISH_BUDGET)
    key = (passage.get("english_highlight") or "").strip()
    body = escape_mrkdwn(english)
    if key and key in english:
        before, _, after = english.partition(key)
        body = f"{escape_mrkdwn(before)}*{escape_mrkdwn(key)}*{escape_mrkdwn(after)}"
    # Slack's italics end at a line break; renderings are one paragraph.
    line = "_" + " ".join(body.split()) + "_"
    if passage.get("english_checked") is False:
        line += f"\n:warning: _{UNCHECKED_NOTE}_"
    return line
