"""Reading Block Kit as Slack shows it: the quotes of a message (rich text) with what is bold
and italic, every mrkdwn string, and the whole text a reader sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
# A mrkdwn marker against a CJK character: Slack prints it as a literal character.
MARKER_BY_CJK = re.compile(f"[*_~](?=[{CJK}])|(?<=[{CJK}])[*_~]")


@dataclass
class ShownQuote:
    text: str  # the quote as shown (verbatim passage, then its citation and date)
    bold: list[str]  # its bold runs
    english: str = ""  # the rendering under it
    english_bold: list[str] = field(default_factory=list)
    english_italic: bool = False
    english_code: list[str] = field(default_factory=list)  # rumorbot's markers in it
    notes: list[str] = field(default_factory=list)  # lines under it (the unchecked warning)


def _runs(elements: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    runs = []
    for element in elements:
        if element["type"] == "text":
            runs.append((element["text"], element.get("style") or {}))
        elif element["type"] == "emoji":
            runs.append((f":{element['name']}:", {}))
        else:
            runs.append((f"<{element['type']}>", {}))
    return runs


def shown_quotes(blocks: list[dict[str, Any]]) -> list[ShownQuote]:
    """Every quote in the message, in order, with the English shown under it."""
    quotes: list[ShownQuote] = []
    for block in blocks:
        if block["type"] != "rich_text":
            continue
        for part in block["elements"]:
            runs = _runs(part["elements"])
            text = "".join(t for t, _ in runs)
            bold = [t for t, s in runs if s.get("bold")]
            if part["type"] == "rich_text_quote":
                quotes.append(ShownQuote(text=text, bold=bold))
            elif quotes and part["type"] == "rich_text_section":
                quote = quotes[-1]
                # The English: italic, where a sentence's English was withheld a code marker.
                english = all(s.get("italic") or s.get("code") for t, s in runs if t.strip())
                if not quote.english and english:
                    quote.english, quote.english_bold = text, bold
                    quote.english_italic = True
                    quote.english_code = [t for t, s in runs if s.get("code")]
                else:
                    quote.notes.append(text)
    return quotes


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for block in blocks:
        texts = [block.get("text") or {}, *(block.get("fields") or [])]
        if block["type"] == "context":
            texts += block["elements"]
        for text in texts:
            if text.get("type") == "mrkdwn":
                yield text["text"]


def rich_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for block in blocks:
        if block["type"] == "rich_text":
            for part in block["elements"]:
                yield "".join(t for t, _ in _runs(part["elements"]))


def seen(blocks: list[dict[str, Any]]) -> str:
    """All the text of a message, mrkdwn and rich text, one string."""
    return "\n".join([*mrkdwn_texts(blocks), *rich_texts(blocks)])
