"""Cutting parsed documents into passages that read well when quoted in Slack."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from retrieval.corpus.documents import Block, ParsedDocument

# Bump when parsing or cutting changes, so the next ingest re-derives every source's passages.
PARSER_VERSION = 2
MAX_CHARS = 360  # a passage longer than this is split at sentence ends
MIN_CHARS = 60  # a paragraph shorter than this joins the next one in its section
TRANSCRIPT_MIN, TRANSCRIPT_MAX = 150, 300
NEAR_DUPLICATE = 0.9  # character-trigram Jaccard at or above which a passage is a repeat

SENTENCE = re.compile(r".+?(?:[。！？!?]+[”」』\"]?|[.;；](?=\s)|$)", re.S)
# Phrases that open a new thought in a spoken transcript.
CONNECTIVES = (
    "但是",
    "但",
    "所以",
    "因此",
    "于是",
    "另外",
    "不过",
    "然而",
    "而且",
    "首先",
    "其次",
    "最后",
    "总之",
    "换句话说",
    "事实上",
    "同样",
    "当然",
    "那么",
    "如果",
    "比如",
    "下面",
)


@dataclass(frozen=True)
class PassageDraft:
    source_id: str
    position: int
    heading: str | None
    text: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def id(self) -> str:
        # Source and text only: the same passage keeps its id when others around it change.
        return hashlib.sha256(f"{self.source_id}\x00{self.text}".encode()).hexdigest()[:20]


LEAD_IN = ("：", ":")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


# A space between two Chinese characters: where a subtitle line ended. An article's spaces
# stand beside Latin words ("的 GPT-4o 在"), and an English sentence has no Chinese at all.
_PHRASE_BREAK = re.compile(r"[\u4e00-\u9fff]\s+(?=[\u4e00-\u9fff])")


def is_unpunctuated(sentence: str) -> bool:
    """A run of subtitle lines: long, Chinese phrases apart by spaces, no sentence end to cut
    at. A long English quotation, or an article sentence rich in Latin names, is not one: cut
    at its spaces, it became key sentences and translation units of a few words each."""
    return len(sentence) > 120 and len(_PHRASE_BREAK.findall(sentence)) >= 3


def is_transcript(text: str) -> bool:
    """Subtitle lines: a sentence of the text is a run of them (see `is_unpunctuated`)."""
    return any(is_unpunctuated(s) for s in sentences(text))


def split_long(text: str) -> list[str]:
    """Split a paragraph at sentence ends into pieces of at most MAX_CHARS where possible."""
    if len(text) <= MAX_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        if current and len(current) + len(sentence) > MAX_CHARS:
            pieces.append(current)
            current = ""
        current = (
            f"{current} {sentence}"
            if current and not _cjk_edge(current, sentence)
            else (current + sentence)
        )
    if current:
        # A short tail reads better attached to its predecessor.
        if pieces and len(current) < MIN_CHARS:
            pieces[-1] += current
        else:
            pieces.append(current)
    return pieces


def _cjk_edge(left: str, right: str) -> bool:
    return bool(re.match(r"[\u3000-\u9fff\uff00-\uffef]", left[-1] + right[0]))


def paragraph_passages(blocks: list[Block]) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    heading: str | None = None
    pending = ""
    after_heading = False
    for index, block in enumerate(blocks):
        if block.is_heading:
            if pending:
                out.append((heading, pending))
                pending = ""
            # A heading right under another one is a subsection: keep both as context.
            heading = f"{heading} › {block.text}" if after_heading and heading else block.text
            after_heading = True
            continue
        after_heading = False
        text = f"{pending}\n{block.text}" if pending else block.text
        # A lead-in ("…这间接指的是：") stays with what it introduces, a list with its items.
        more_items = index + 1 < len(blocks) and blocks[index + 1].is_item and len(text) < MAX_CHARS
        if len(text) < MIN_CHARS or text.rstrip().endswith(LEAD_IN) or more_items:
            pending = text
            continue
        if pending and len(text) > MAX_CHARS and not pending.rstrip().endswith(LEAD_IN):
            out.append((heading, pending))
            text = block.text
        pending = ""
        out.extend((heading, piece) for piece in split_long(text))
    if pending:
        out.append((heading, pending))
    return out


def transcript_passages(blocks: list[Block]) -> list[tuple[str | None, str]]:
    """Group subtitle phrases into passages of roughly 150-300 characters."""
    lines = [b.text for b in blocks]
    out: list[tuple[str | None, str]] = []
    current: list[str] = []
    length = 0
    for index, line in enumerate(lines):
        current.append(line)
        length += len(line) + 1
        following = lines[index + 1] if index + 1 < len(lines) else ""
        at_boundary = line[-1] in "。！？!?" or following.startswith(CONNECTIVES)
        if (length >= TRANSCRIPT_MIN and at_boundary) or length + len(following) > TRANSCRIPT_MAX:
            out.append((None, " ".join(current)))
            current, length = [], 0
    if current:
        tail = " ".join(current)
        if out and len(tail) < TRANSCRIPT_MIN / 2:
            out[-1] = (None, f"{out[-1][1]} {tail}")
        else:
            out.append((None, tail))
    return out


def fingerprint(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\W_]+", "", text)


def trigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 3] for i in range(max(1, len(text) - 2)))


def jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    """How alike two sets are (the union counted, not built)."""
    shared = len(x & y)
    union = len(x) + len(y) - shared
    return shared / union if union else 1.0


def build_passages(doc: ParsedDocument, source_id: str) -> list[PassageDraft]:
    """Passages of one document, in order, with exact and near-exact repeats dropped."""
    raw = (
        transcript_passages(doc.blocks)
        if doc.shape == "transcript"
        else paragraph_passages(doc.blocks)
    )
    drafts: list[PassageDraft] = []
    seen: list[frozenset[str]] = []
    exact: set[str] = set()
    for heading, text in raw:
        printed = fingerprint(text)
        if not printed or printed in exact:
            continue
        grams = trigrams(printed)
        if any(jaccard(grams, other) >= NEAR_DUPLICATE for other in seen):
            continue
        exact.add(printed)
        seen.append(grams)
        drafts.append(PassageDraft(source_id, len(drafts), heading, text))
    return drafts
