"""Each passage's lexical tokens and Latin names, kept from build to build.

Tokenising Chinese (jieba) is the slow part of a build: about a minute per 100k passages.
A build takes the terms of every passage whose heading and text it has seen before from the
last build's cache and tokenises only the rest. Terms are stored as ids into one vocabulary
(compacted when mostly unused), tokens as a bag (distinct ids and their counts: all BM25
needs), so a build reads a few arrays, not millions of strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from retrieval.index.names import latin_terms
from retrieval.text.tokens import tokenize

TERMS_DIR = "terms"
# A passage without a single token still takes part in BM25, as a token no question has.
EMPTY_TOKEN = "\u0000"
# Ids of terms no passage uses any more are dropped once they are this share of the vocabulary.
COMPACT_SHARE = 0.5


def searchable(heading: str | None, text: str) -> str:
    return f"{heading or ''}\n{text}"


def terms_key(heading: str | None, text: str) -> str:
    """The cache key of a text: what is tokenised, hashed."""
    return hashlib.blake2b(searchable(heading, text).encode(), digest_size=12).hexdigest()


class Terms(NamedTuple):  # a tuple: a build makes one per passage
    tokens: np.ndarray  # distinct token ids
    counts: np.ndarray  # how often each occurs
    names: np.ndarray  # Latin name ids


@dataclass
class TermCache:
    vocab: list[str] = field(default_factory=list)
    entries: dict[str, Terms] = field(default_factory=dict)  # by terms_key
    tokenised: int = 0  # passages tokenised by this build (not found in the cache)

    def __post_init__(self) -> None:
        self._ids = {t: i for i, t in enumerate(self.vocab)}

    def _id(self, term: str) -> int:
        at = self._ids.get(term)
        if at is None:
            at = self._ids[term] = len(self.vocab)
            self.vocab.append(term)
        return at

    def terms(self, key: str, heading: str | None, text: str) -> Terms:
        """The terms of a text with this `terms_key`, tokenised only when not cached."""
        found = self.entries.get(key)
        if found is None:
            body = searchable(heading, text)
            ids = [self._id(t) for t in tokenize(body) or [EMPTY_TOKEN]]
            tokens, counts = np.unique(np.array(ids, dtype=np.int32), return_counts=True)
            names = sorted(self._id(n) for n in latin_terms(body))
            found = self.entries[key] = Terms(
                tokens, counts.astype(np.int32), np.array(names, dtype=np.int32)
            )
            self.tokenised += 1
        return found

    def kept(self, keys: Iterable[str]) -> TermCache:
        """The cache of these texts only (what the next build may need), its vocabulary
        compacted when mostly unused."""
        entries = {k: self.entries[k] for k in keys}
        used = np.zeros(len(self.vocab), dtype=bool)
        used[_flat([t.tokens for t in entries.values()])] = True
        used[_flat([t.names for t in entries.values()])] = True
        if used.sum() >= (1 - COMPACT_SHARE) * len(self.vocab):
            return TermCache(self.vocab, entries)
        new_id = (np.cumsum(used) - 1).astype(np.int32)
        return TermCache(
            [t for t, u in zip(self.vocab, used, strict=True) if u],
            {k: Terms(new_id[t.tokens], t.counts, new_id[t.names]) for k, t in entries.items()},
        )

    def save(self, directory: Path) -> None:
        folder = directory / TERMS_DIR
        folder.mkdir()
        terms = list(self.entries.values())
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))
        (folder / "keys.json").write_text(json.dumps(list(self.entries)))
        np.savez(
            folder / "ids.npz",
            tokens=_flat([t.tokens for t in terms]),
            counts=_flat([t.counts for t in terms]),
            token_ends=np.cumsum([len(t.tokens) for t in terms], dtype=np.int64),
            names=_flat([t.names for t in terms]),
            name_ends=np.cumsum([len(t.names) for t in terms], dtype=np.int64),
        )

    @classmethod
    def load(cls, directory: Path) -> TermCache:
        folder = directory / TERMS_DIR
        vocab = json.loads((folder / "vocab.json").read_text())
        keys = json.loads((folder / "keys.json").read_text())
        with np.load(folder / "ids.npz") as ids:
            token_ends, name_ends = ids["token_ends"], ids["name_ends"]
            if not (len(keys) == len(token_ends) == len(name_ends)):
                raise ValueError("the term cache is inconsistent")
            tokens, counts, names = ids["tokens"], ids["counts"], ids["names"]
        token_starts = np.concatenate([[0], token_ends[:-1]]).astype(np.int64)
        name_starts = np.concatenate([[0], name_ends[:-1]]).astype(np.int64)
        entries = {
            key: Terms(tokens[a:b], counts[a:b], names[c:d])
            for key, a, b, c, d in zip(
                keys,
                token_starts.tolist(),
                token_ends.tolist(),
                name_starts.tolist(),
                name_ends.tolist(),
                strict=True,
            )
        }
        return cls(vocab, entries)


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
