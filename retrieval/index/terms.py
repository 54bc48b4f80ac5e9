"""Each passage's lexical tokens and Latin names, kept from build to build.

Tokenising Chinese (jieba) is the slow part of a build: about a minute per 100k passages.
A build takes the terms of every passage whose heading and text it has seen before from the
last build's cache and tokenises only the rest. Terms are stored as ids into one vocabulary
that only grows between full builds, so a build reads a few arrays, not millions of strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.index.names import latin_terms
from retrieval.lexical import tokenize

TERMS_DIR = "terms"
# A passage without a single token still takes part in BM25, as a token no question has.
EMPTY_TOKEN = "\u0000"
# Ids of terms no passage uses any more are dropped once they are this share of the vocabulary.
COMPACT_SHARE = 0.5


def terms_key(heading: str | None, text: str) -> str:
    return hashlib.blake2b(f"{heading or ''}\n{text}".encode(), digest_size=12).hexdigest()


def searchable(heading: str | None, text: str) -> str:
    return f"{heading or ''}\n{text}"


@dataclass
class TermCache:
    vocab: list[str] = field(default_factory=list)
    # per passage text (terms_key): (token ids, Latin name ids)
    entries: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    tokenised: int = 0  # passages tokenised by this build (not found in the cache)

    def __post_init__(self) -> None:
        self._ids = {t: i for i, t in enumerate(self.vocab)}

    def _id(self, term: str) -> int:
        at = self._ids.get(term)
        if at is None:
            at = self._ids[term] = len(self.vocab)
            self.vocab.append(term)
        return at

    def terms(self, heading: str | None, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = terms_key(heading, text)
        found = self.entries.get(key)
        if found is None:
            body = searchable(heading, text)
            tokens = tokenize(body) or [EMPTY_TOKEN]
            names = latin_terms(body)
            found = self.entries[key] = (
                np.array([self._id(t) for t in tokens], dtype=np.int32),
                np.array(sorted(self._id(n) for n in names), dtype=np.int32),
            )
            self.tokenised += 1
        return found

    def kept(self, keys: Sequence[str]) -> TermCache:
        """The cache of these passages only (what the next build may need), its vocabulary
        compacted when mostly unused."""
        entries = {k: self.entries[k] for k in dict.fromkeys(keys)}
        used = np.zeros(len(self.vocab), dtype=bool)
        for tokens, names in entries.values():
            used[tokens] = True
            used[names] = True
        if used.sum() >= (1 - COMPACT_SHARE) * len(self.vocab):
            return TermCache(self.vocab, entries)
        new_id = np.cumsum(used) - 1
        return TermCache(
            [t for t, u in zip(self.vocab, used, strict=True) if u],
            {
                k: (new_id[t].astype(np.int32), new_id[n].astype(np.int32))
                for k, (t, n) in entries.items()
            },
        )

    def save(self, directory: Path) -> None:
        folder = directory / TERMS_DIR
        folder.mkdir()
        keys = list(self.entries)
        tokens = [self.entries[k][0] for k in keys]
        names = [self.entries[k][1] for k in keys]
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))
        (folder / "keys.json").write_text(json.dumps(keys))
        np.savez(
            folder / "ids.npz",
            tokens=_flat(tokens),
            token_ends=np.cumsum([len(t) for t in tokens], dtype=np.int64),
            names=_flat(names),
            name_ends=np.cumsum([len(n) for n in names], dtype=np.int64),
        )

    @classmethod
    def load(cls, directory: Path) -> TermCache:
        folder = directory / TERMS_DIR
        vocab = json.loads((folder / "vocab.json").read_text())
        keys = json.loads((folder / "keys.json").read_text())
        if not keys:
            return cls(vocab)
        with np.load(folder / "ids.npz") as ids:
            tokens = np.split(ids["tokens"], ids["token_ends"][:-1])
            names = np.split(ids["names"], ids["name_ends"][:-1])
        if not (len(keys) == len(tokens) == len(names)):
            raise ValueError("the term cache is inconsistent")
        return cls(vocab, dict(zip(keys, zip(tokens, names, strict=True), strict=True)))


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
