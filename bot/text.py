"""Untrusted text: cleaning what users send, escaping what goes into Slack mrkdwn."""

from __future__ import annotations

import re

from retrieval.search import MAX_QUESTION_CHARS

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

    return (
        _SLACK_LINK.sub(replace, text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )
