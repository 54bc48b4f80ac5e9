"""Rendering a passage: piece by piece through a translator, each piece checked by the guard
and retried when it fails; what still fails is kept but marked unchecked."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.translation.gloss import gloss_leftovers
from retrieval.translation.guard import GuardResult, check, spell_amounts, strip_preamble
from retrieval.translation.segments import clauses, segments
from retrieval.translation.translator import Translator


@dataclass(frozen=True)
class Rendering:
    english: str
    checked: bool
    # (Chinese piece, its English): what lets the key sentence be marked in both languages.
    segments: tuple[tuple[str, str], ...]
    problems: tuple[str, ...] = ()
    tokens: int = 0
    seconds: float = 0.0


def _translate(translator: Translator, text: str, hint: str | None = None) -> tuple[str, int]:
    english, tokens = translator.translate(spell_amounts(text), hint)
    return strip_preamble(english), tokens


def _better(a: tuple[str, GuardResult], b: tuple[str, GuardResult]) -> tuple[str, GuardResult]:
    return b if len(b[1].problems) < len(a[1].problems) else a


def _render_piece(translator: Translator, piece: str) -> tuple[str, GuardResult, int]:
    """One piece, tried up to three ways until the guard passes: as it is; again, told what
    the first attempt lost; clause by clause. Chinese still left is glossed from CC-CEDICT."""
    english, tokens = _translate(translator, piece)
    best = (english, check(piece, english))
    if not best[1].ok:
        english, used = _translate(translator, piece, hint="; ".join(best[1].problems))
        tokens += used
        best = _better(best, (english, check(piece, english)))
    if not best[1].ok:
        parts = [_translate(translator, clause) for clause in clauses(piece)]
        tokens += sum(used for _, used in parts)
        english = " ".join(e for e, _ in parts if e)
        best = _better(best, (english, check(piece, english)))
    if not best[1].ok and any("Chinese left" in p for p in best[1].problems):
        english = gloss_leftovers(best[0])
        best = _better(best, (english, check(piece, english)))
    return best[0], best[1], tokens


def render(
    translator: Translator, text: str, after_piece: Callable[[], None] | None = None
) -> Rendering:
    """`after_piece` is called after each piece (a worker's heartbeat)."""
    started = time.perf_counter()
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    tokens = 0
    for piece in segments(text):
        english, verdict, used = _render_piece(translator, piece)
        tokens += used
        problems.extend(f"{piece[:20]}…: {p}" for p in verdict.problems)
        pairs.append((piece, english))
        if after_piece:
            after_piece()
    return Rendering(
        english=" ".join(e for _, e in pairs if e),
        checked=not problems,
        segments=tuple(pairs),
        problems=tuple(problems),
        tokens=tokens,
        seconds=time.perf_counter() - started,
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def english_of(pairs: Sequence[Sequence[str]], text: str, part: str) -> str | None:
    """The English of the pieces that hold `part` of the passage `text` (e.g. its key
    sentence), or None when it cannot be placed. Whitespace is ignored: pieces are joined
    with spaces where the passage may have none."""
    text, part = _squash(text), _squash(part)
    start = text.find(part)
    if start < 0 or not part:
        return None
    end = start + len(part)
    out: list[str] = []
    cursor = 0
    for chinese, english in pairs:
        at = text.find(_squash(chinese), cursor)
        if at < 0:
            return None
        cursor = at + len(_squash(chinese))
        if at < end and cursor > start:
            out.append(english)
    return " ".join(out) or None
