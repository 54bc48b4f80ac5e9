"""Rendering a passage: unit by unit (real sentences, each with its neighbours as context), each
unit's English checked by the guard and tried again, told what it lost, when it fails. A unit
whose English still fails is kept for search but never shown as a translation."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from retrieval.text.tokens import has_cjk
from retrieval.translation.gloss import gloss_leftovers
from retrieval.translation.guard import Aligner, GuardResult, check, strip_preamble
from retrieval.translation.numbers import explicit
from retrieval.translation.translator import Translator, prompt_terms
from retrieval.translation.units import Unit, context_of, units


@dataclass(frozen=True)
class Rendering:
    # Every unit's English joined: a search aid for English questions, never what is shown.
    english: str
    checked: bool  # every unit passed the guard
    # (Chinese unit as the passage has it, its English, and why that English must not be
    # shown, or "" when it passed): what an answer shows, and where the key sentence is.
    segments: tuple[tuple[str, str, str], ...]
    problems: tuple[str, ...] = ()
    tokens: int = 0
    seconds: float = 0.0


def _translate(
    translator: Translator, text: str, hint: str | None = None, context: str | None = None
) -> tuple[str, int]:
    english, tokens = translator.translate(
        explicit(text), hint, explicit(context) if context else None
    )
    return strip_preamble(english), tokens


def _better(a: tuple[str, GuardResult], b: tuple[str, GuardResult]) -> tuple[str, GuardResult]:
    return b if len(b[1].problems) < len(a[1].problems) else a


def _render_unit(
    translator: Translator, source: str, text: str, context: str
) -> tuple[str, GuardResult, int]:
    """One unit, tried again when the guard fails, told what the first attempt lost. Chinese
    still left is glossed from CC-CEDICT."""
    english, tokens = _translate(translator, text, context=context or None)
    best = (english, check(source, english))
    if not best[1].ok:
        english, used = _translate(
            translator, text, hint="; ".join(best[1].problems), context=context or None
        )
        tokens += used
        best = _better(best, (english, check(source, english)))
    if not best[1].ok and any("Chinese left" in p for p in best[1].problems):
        english = gloss_leftovers(best[0])
        best = _better(best, (english, check(source, english)))
    return best[0], best[1], tokens


def verdict(source: str, english: str, aligner: Aligner | None = None) -> GuardResult:
    """The guard on one unit: the rules (numbers, names, negations, questions) and, with an
    aligner, the meaning. What `rumorbot translate --check` prints too."""
    problems = list(check(source, english).problems)
    if aligner is not None and english.strip():
        problems += aligner.problems(source, english)
    return GuardResult(not problems, tuple(problems))


# The reason a unit's English is missing from a partial rendering: not translated yet (the
# sentences an answer shows first are, the rest follow).
PENDING = "pending"


def _touching(parts: list[Unit], text: str, spans: Sequence[str]) -> set[int]:
    """Indices of the units that overlap any of `spans` (parts of `text`)."""
    squashed = _squash(text)
    wanted = []
    for span in spans:
        part = _squash(span).strip("…")  # an excerpt's cut marks are not the text's
        at = squashed.find(part)
        if part and at >= 0:
            wanted.append((at, at + len(part)))
    out, cursor = set(), 0
    for index, unit in enumerate(parts):
        at = squashed.find(_squash(unit.source), cursor)
        if at < 0:
            continue
        cursor = at + len(_squash(unit.source))
        if any(at < end and start < cursor for start, end in wanted):
            out.add(index)
    return out


def render(
    translator: Translator,
    text: str,
    after_piece: Callable[[], None] | None = None,
    aligner: Aligner | None = None,
    only: Sequence[str] | None = None,
) -> Rendering:
    """`after_piece` is called after each unit (a worker's heartbeat). `aligner`: the guard's
    reading of meaning, applied to each unit's final English (it withholds, never retries).
    `only`: parts of the text (an answer's key sentences) whose units alone are translated,
    the others left PENDING: a partial rendering, what a reader sees first."""
    started = time.perf_counter()
    parts = units(text, translator.punctuate)
    wanted = _touching(parts, text, only) if only is not None else set(range(len(parts)))
    segments: list[tuple[str, str, str]] = []
    problems: list[str] = []
    tokens = 0
    for index, unit in enumerate(parts):
        if index not in wanted:
            segments.append((unit.source, "", PENDING))
            continue
        if has_cjk(unit.source):
            english, _, used = _render_unit(
                translator, unit.source, unit.text, context_of(parts, index)
            )
        else:  # English already (a quotation the article gives in the original): as it is
            english, used = unit.source, 0
        tokens += used
        final = verdict(unit.source, english, aligner)
        problems.extend(f"{unit.source[:20]}…: {p}" for p in final.problems)
        segments.append((unit.source, english, "; ".join(final.problems)))
        if after_piece:
            after_piece()
    return Rendering(
        english=" ".join(e for _, e, _ in segments if e),
        checked=not problems,
        segments=tuple(segments),
        problems=tuple(problems),
        tokens=tokens,
        seconds=time.perf_counter() - started,
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


NO_ENGLISH = "[no reliable English for this part"
ON_ITS_WAY = "[English for this part is on its way]"


def _withheld(chinese: str) -> str:
    """What stands for a unit whose English failed the guard: never a fluent wrong sentence;
    the field's names and terms it holds, from the glossary, where it has any."""
    terms = [en.split(" (")[0] for en in prompt_terms(chinese).values()]
    return f"{NO_ENGLISH}; terms: {', '.join(dict.fromkeys(terms))}]" if terms else f"{NO_ENGLISH}]"


@lru_cache(maxsize=16_384)
def _still_passes(chinese: str, english: str) -> bool:
    """The guard's rules on a stored unit: pure, so read once per unit and process, not once
    per answer that quotes it."""
    return check(chinese, english).ok


def english_of(
    segments: Sequence[Sequence[str]], text: str, part: str, least_inside: float = 0.0
) -> tuple[str, bool] | None:
    """The English shown for `part` of the passage `text` (the key sentence, the excerpt or
    the whole): each unit's English where it passed the guard, a marked gap where it did not;
    and whether every unit of it passed. None when it cannot be placed. Whitespace is
    ignored: units are joined with spaces where the passage may have none. `least_inside`:
    the share of a unit that must lie inside `part` for its English to be shown with it (an
    excerpt's English should not run far past the Chinese it shows)."""
    # An excerpt is marked "…" where it was cut; the marks are not the passage's.
    text, part = _squash(text), _squash(part).strip("…")
    start = text.find(part)
    if start < 0 or not part:
        return None
    end = start + len(part)
    out: list[str] = []
    passed = True
    cursor = 0
    for chinese, english, *failed in segments:
        at = text.find(_squash(chinese), cursor)
        if at < 0:
            return None
        cursor = at + len(_squash(chinese))
        inside = min(cursor, end) - max(at, start)
        if inside <= 0 or inside < least_inside * (cursor - at):
            continue
        if failed and failed[0] == PENDING:
            # A partial rendering: this unit's English follows (not a failure).
            if not out or out[-1] != ON_ITS_WAY:
                out.append(ON_ITS_WAY)
            continue
        # A unit rendered before the guard's latest rules is read by them again here (they
        # are cheap; the stored verdict of the meaning check stands).
        if (failed and failed[0]) or (english and not _still_passes(chinese, english)):
            passed = False
            gap = _withheld(chinese)
            if not out or not out[-1].startswith(NO_ENGLISH):
                out.append(gap)
        elif english:
            out.append(english)
    return (" ".join(out), passed) if out else None


def english_shown(
    segments: Sequence[Sequence[str]], text: str, shown: str, key: str
) -> tuple[str | None, str | None, bool | None]:
    """What a quote shows in English: (the English of `shown`, the passage or the excerpt of
    it that is quoted; the English of its key sentence `key`; whether every unit of `shown`
    passed the guard), each None when the units cannot be placed."""
    whole = english_of(segments, text, shown, least_inside=0.5)
    if whole is None:
        return None, None, None
    highlight = english_of(segments, text, key)
    return whole[0], highlight[0] if highlight else None, whole[1]
