"""A quoted passage as Slack shows it: a `rich_text` block holding the Chinese verbatim as a
quote with its key sentence in bold, its date and citation number, and the English rendering
under it in italics (its key sentence bold too). Rich text because mrkdwn's `*bold*` is read
only against whitespace or punctuation: inside Chinese it prints as literal asterisks. Its
text elements are plain, so nothing in a source can mention, link or broadcast."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks.base import KIND_TIER, Block, byline, date_text, titled
from bot.text import truncate
from retrieval.answers.payload import PassageJSON, QuotedPassage
from retrieval.translation.render import NO_ENGLISH, ON_ITS_WAY

# Where a sentence's English failed the guard, the rendering holds a marker instead.
# rumorbot's own words inside a rendering: a part whose English failed the check, or a part
# whose English is still on its way (the key sentence's came first).
_GAP = re.compile(re.escape(NO_ENGLISH) + r"[^\]]*\]|" + re.escape(ON_ITS_WAY))

Element = dict[str, Any]

MT_NOTE = "English: machine translation, may contain errors"
UNCHECKED_NOTE = "parts whose English failed the check are not shown as a translation"
PENDING_NOTE = "(English translation pending)"
QUOTE_BUDGET = 2500  # characters of Chinese in one quote
ENGLISH_BUDGET = 1500  # characters of English under one quote, cut at a sentence end


def citation(number: int, passage: PassageJSON) -> str:
    linked = titled(passage["title"], passage.get("url"))
    who = byline(passage.get("outlet"), passage.get("author"))
    kind = passage.get("tier") or KIND_TIER.get(passage.get("kind") or "", "source")
    when = date_text(passage.get("published"))
    return f"[{number}] {linked} — {who}, {when} ({kind})"


def text_element(text: str, *, bold: bool = False, italic: bool = False) -> Element:
    element: Element = {"type": "text", "text": text}
    style = {name: True for name, on in (("bold", bold), ("italic", italic)) if on}
    if style:
        element["style"] = style
    return element


def marked(text: str, key: str, *, italic: bool = False) -> list[Element]:
    """`text` as rich-text elements, `key` (where it occurs) in bold."""
    before, found, after = text.partition(key) if key else (text, "", "")
    parts = [(before, False), (found, True), (after, False)] if found else [(text, False)]
    return [text_element(part, bold=bold, italic=italic) for part, bold in parts if part]


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


def english_elements(passage: QuotedPassage, translations_on: bool) -> list[Element]:
    """The rendering under a quote (italic, its key sentence bold) and, when parts of it
    failed the check, a warning; nothing when translation is off."""
    english = passage.get("english")
    if not english:
        pending = [text_element(PENDING_NOTE, italic=True)]
        return [{"type": "rich_text_section", "elements": pending}] if translations_on else []
    english = " ".join(cut_at_sentence(english, ENGLISH_BUDGET).split())
    key = " ".join((passage.get("english_highlight") or "").split())
    rendered: list[Element] = [
        {"type": "rich_text_section", "elements": _with_gaps(marked(english, key, italic=True))}
    ]
    if passage.get("english_checked") is False:
        warning = [{"type": "emoji", "name": "warning"}, text_element(" " + UNCHECKED_NOTE)]
        rendered.append({"type": "rich_text_section", "elements": warning})
    return rendered


def _with_gaps(elements: list[Element]) -> list[Element]:
    """The gap markers of a rendering set apart as code, never in the translation's italics
    or bold: they are rumorbot's words, not the source's."""
    out: list[Element] = []
    for element in elements:
        text, at = element["text"], 0
        for gap in _GAP.finditer(text):
            if gap.start() > at:
                out.append({**element, "text": text[at : gap.start()]})
            out.append({"type": "text", "text": gap.group(), "style": {"code": True}})
            at = gap.end()
        if at < len(text):
            out.append({**element, "text": text[at:]})
    return out


def quote_block(
    passage: QuotedPassage,
    *,
    number: int | None = None,
    english: bool = False,
    translations_on: bool = False,
) -> Block:
    """One quote: the passage (or the excerpt shown of it) verbatim, its key sentence bold,
    then its citation number and date, then (`english`) the rendering under it."""
    text = truncate(passage.get("excerpt") or passage["text"], QUOTE_BUDGET)
    quoted = marked(text, (passage.get("highlight") or "").strip())
    if number is not None:
        # The date on every quote: quotes stay in order of relevance, not of time.
        older = " · older" if passage.get("older") else ""
        quoted += [
            text_element(f" [{number}] "),
            text_element(date_text(passage.get("published")) + older, italic=True),
        ]
    elements: list[Element] = [{"type": "rich_text_quote", "elements": quoted}]
    if english:
        elements += english_elements(passage, translations_on)
    return {"type": "rich_text", "elements": elements}
