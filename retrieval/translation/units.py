"""The units a passage is translated in: its real sentences, each with its neighbours as context.

A unit never joins the end of one sentence to the start of the next: translated blind across
such a join, a 1.5B model moves subjects and objects over the boundary and invents an ending
for the half sentence (graded on this corpus, issue 26). Articles have their punctuation.
Subtitle transcripts have almost none, so the model is first asked to put it back, copying the
text otherwise; its sentence ends are mapped onto the original characters by alignment, so a
changed or dropped character costs nothing but that place. Where it copied too little, each
subtitle phrase is a unit of its own: short, but never across a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from retrieval.corpus.passages import is_transcript, sentences

ENDS = "。！？!?；;"
PUNCTUATION = "，,。！？!?；;：:、“”\"'‘’（）()《》…—"
PAUSES = "，,。！？!?；;：:、"
# Share of the transcript's characters the restored text must keep, in order, to be trusted.
KEPT_AT_LEAST = 0.9
MIN_UNIT = 6  # a shorter sentence ("对。") goes with the next one


@dataclass(frozen=True)
class Unit:
    source: str  # the passage's own characters (what a quote and a key sentence match)
    text: str  # what is translated: the source, with restored punctuation where it had none


def _letters(text: str) -> list[tuple[int, str]]:
    """(position, character) of what is neither punctuation nor space."""
    return [(i, c) for i, c in enumerate(text) if not c.isspace() and c not in PUNCTUATION]


def restore(text: str, punctuated: str) -> list[Unit] | None:
    """Sentence units of the transcript `text`, cut where `punctuated` (the model's copy with
    punctuation) ends its sentences; None when the copy kept too little of the text."""
    ours, theirs = _letters(text), _letters(punctuated)
    matcher = SequenceMatcher(None, [c for _, c in ours], [c for _, c in theirs], autojunk=False)
    if matcher.ratio() < KEPT_AT_LEAST:
        return None
    # Their letter index → our letter index, where the two agree.
    mapped: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapped[block.b + k] = block.a + k
    # Every punctuation mark of theirs goes after the letter of ours it follows.
    marks: dict[int, str] = {}
    for index, (position, _) in enumerate(theirs):
        end = theirs[index + 1][0] if index + 1 < len(theirs) else None
        following = punctuated[position + 1 : end]
        # Only marks that end or pause; quotes and brackets are the text's own.
        inserted = "".join(c for c in following if c in PAUSES)
        if inserted and index in mapped:
            marks[ours[mapped[index]][0]] = inserted
    units: list[Unit] = []
    start, shown, cut_at = 0, "", -1
    for position, char in enumerate(text):
        shown += char
        if position == cut_at:
            units.append(Unit(text[start : position + 1].strip(), shown.strip()))
            start, shown = position + 1, ""
            continue
        mark = marks.get(position)
        if mark is None:
            continue
        own = re.match(rf"\s*[{re.escape(PAUSES)}]+", text[position + 1 :])
        if own is None:
            shown += mark  # the original has no mark of its own here
        if any(c in ENDS for c in mark):
            if own is not None:  # the sentence ends after the text's own mark
                cut_at = position + own.end()
                continue
            units.append(Unit(text[start : position + 1].strip(), shown.strip()))
            start, shown = position + 1, ""
    if text[start:].strip():
        units.append(Unit(text[start:].strip(), shown.strip()))
    return _merged(units)


def _merged(units: list[Unit]) -> list[Unit]:
    out: list[Unit] = []
    for unit in units:
        if out and len(_letters(out[-1].source)) < MIN_UNIT:
            last = out.pop()
            unit = Unit(f"{last.source} {unit.source}", f"{last.text} {unit.text}")
        out.append(unit)
    if len(out) > 1 and len(_letters(out[-1].source)) < MIN_UNIT:
        tail = out.pop()
        out[-1] = Unit(f"{out[-1].source} {tail.source}", f"{out[-1].text} {tail.text}")
    return out


# An English sentence run into the Chinese after it ('…to start." “在启动该模型之前…'): the
# passage's sentence split sees no end there, a quotation mark after the full stop.
_ENGLISH_LEAD = re.compile(
    r"[^\u4e00-\u9fff]*?[A-Za-z][^\u4e00-\u9fff]*?[.!?][\"”’']?(?=\s*[“「\u4e00-\u9fff])"
)


def _english_apart(sentence: str) -> list[str]:
    """`sentence`, an English sentence it opens with set apart (kept as it is, not
    translated). A name before the Chinese ("GPT-4o.") is no sentence: three words at least."""
    lead = _ENGLISH_LEAD.match(sentence)
    if lead is None or lead.group().count(" ") < 2:
        return [sentence]
    return [lead.group(), sentence[lead.end() :].strip()]


def units(text: str, punctuate: Callable[[str], str] | None = None) -> list[Unit]:
    """The passage's units in order. `punctuate` (the translator's) is asked for a transcript
    only; without it, or when its copy cannot be trusted, a transcript's units are its phrases
    (a phrase with a comma or question mark inside keeps it)."""
    if not is_transcript(text):
        return _merged([Unit(p, p) for s in sentences(text) for p in _english_apart(s)])
    if punctuate is not None:
        restored = restore(text, punctuate(text))
        if restored:
            return restored
    phrases = re.findall(r"\S+", text)
    return _merged([Unit(p, p) for p in phrases])


def context_of(all_units: list[Unit], index: int) -> str:
    """The sentences before and after a unit, given to the model as context only."""
    before = all_units[index - 1].text if index > 0 else ""
    after = all_units[index + 1].text if index + 1 < len(all_units) else ""
    return " … ".join(part for part in (before, after) if part)
