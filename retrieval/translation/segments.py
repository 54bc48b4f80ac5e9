"""Cutting a passage into the pieces translated one at a time.

Sentence by sentence keeps a small model faithful (whole passages made it invert slang and
swap comparison targets); subtitle transcripts, which have no punctuation, go in short runs
of phrases. A piece that fails the guard is retried clause by clause.
"""

from __future__ import annotations

import re

from retrieval.corpus.passages import sentences

RUN_CHARS = 60  # a run of transcript phrases translated together
MIN_PIECE = 12  # a shorter sentence goes with the next one
_CLAUSE = re.compile(r"[^，,；;：:、 ]+[，,；;：:、 ]*")


def _runs(phrases: list[str], limit: int) -> list[str]:
    out: list[str] = []
    for phrase in phrases:
        if out and len(out[-1]) + len(phrase) + 1 <= limit:
            out[-1] = f"{out[-1]} {phrase}"
        else:
            out.append(phrase)
    return out


def segments(text: str) -> list[str]:
    """The passage's pieces, in order; joined with spaces they hold all of its text."""
    pieces = sentences(text)
    if len(pieces) == 1 and len(text) > RUN_CHARS and " " in text.strip():
        return _runs(text.split(), RUN_CHARS)
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1]) < MIN_PIECE:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def clauses(piece: str) -> list[str]:
    """A piece cut at commas, colons and spaces: the fallback unit when a piece fails."""
    parts = [p.strip() for p in _CLAUSE.findall(piece) if p.strip()]
    return _runs(parts, 24) if parts else [piece]
