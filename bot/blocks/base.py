"""The pieces every surface is built of: sections and context lines within Slack's limits,
dates, source titles and bylines, escaped."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.text import escape_mrkdwn, truncate

Block = dict[str, Any]
SECTION_LIMIT = 3000  # Slack's cap on a section's text
MAX_BLOCKS = 50

LABEL_BADGE = {
    "high": ":large_green_circle: *High confidence*",
    "medium": ":large_yellow_circle: *Medium confidence*",
    "low": ":large_orange_circle: *Low confidence*",
    "none": ":white_circle: *Not in the sources*",
}
KIND_TIER = {"report": "report", "analysis": "analysis", "transcript": "retelling"}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 2000)}]}


def date_text(value: str | date | None) -> str:
    if not value:
        return "undated"
    return value if isinstance(value, str) else value.isoformat()


# CJK characters and their full-width punctuation: mrkdwn markers must not touch them.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_EDGE = re.compile(f"^[{_CJK}]|[{_CJK}]$")


def strong(text: str) -> str:
    """`text` (escaped) in mrkdwn bold. Slack reads `*` as a marker only where it touches
    whitespace or punctuation, so text that begins or ends in Chinese is put in quotation
    marks inside the asterisks: they touch punctuation, never a CJK character."""
    return f"*“{text}”*" if _CJK_EDGE.search(text) else f"*{text}*"


def titled(title: str, url: str | None) -> str:
    """A source's title, escaped: linked when it has a URL, else in bold."""
    safe = escape_mrkdwn(title)
    # A URL from our own corpus, but still: no "|" or ">" may end the link early.
    return f"<{escape_mrkdwn(url).replace('|', '%7C')}|{safe}>" if url else strong(safe)


def byline(outlet: str | None, author: str | None) -> str:
    return " / ".join(escape_mrkdwn(x) for x in (outlet, author) if x) or "unknown outlet"
