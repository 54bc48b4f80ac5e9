"""One published corpus version as searchers see it: loaded, checked, never mutated."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from retrieval.corpus.store import PassageRow, SourceInfo
from retrieval.index.bm25 import BM25Index
from retrieval.index.dense import DenseIndex, passage_key
from retrieval.index.names import NameIndex
from retrieval.text.tokens import normalise

# Bumped when the files of a build change shape: a build of another format is rebuilt.
INDEX_FORMAT = 3
PASSAGES_FILE = "passages.json"
SOURCES_FILE = "sources.json"
LEXICAL_DIR = "bm25"
MANIFEST_FILE = "manifest.json"


class IndexBuildError(RuntimeError):
    """The index could not be built or loaded; whatever was published before stays served."""


@dataclass(frozen=True)
class IndexManifest:
    corpus_version: int
    model_id: str
    dim: int
    passage_count: int
    index_type: str
    built_at: str
    # sha256 of every other file of the build, checked at every load: overwritten or
    # truncated bytes are found, not served. A manifest without them is rebuilt.
    checksums: dict[str, str] = field(default_factory=dict)
    format: int = 1

    @classmethod
    def read(cls, directory: Path) -> IndexManifest:
        return cls(**json.loads((directory / MANIFEST_FILE).read_text()))

    def write(self, directory: Path) -> None:
        (directory / MANIFEST_FILE).write_text(json.dumps(asdict(self), indent=2))


@dataclass(frozen=True, eq=False)
class IndexSnapshot:
    """Everything one corpus version needs to answer."""

    directory: Path
    manifest: IndexManifest
    passages: tuple[PassageRow, ...]
    sources: Mapping[str, SourceInfo]
    dense: DenseIndex
    lexical: BM25Index
    names: NameIndex = field(repr=False)

    @property
    def version(self) -> int:
        return self.manifest.corpus_version

    @cached_property
    def passage_by_id(self) -> Mapping[str, PassageRow]:
        """The passages by id, built once per snapshot when first asked for."""
        return {p.id: p for p in self.passages}


def checksums(directory: Path, only: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file of a build but its manifest (or of those under the `only`
    paths), by path inside the build."""
    out = {}
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory)
        if path.is_file() and path.name != MANIFEST_FILE and (not only or name.parts[0] in only):
            out[str(name)] = _sha256(path)
    return out


def verify(directory: Path, manifest: IndexManifest, only: tuple[str, ...] = ()) -> None:
    """Every file of the build (or those under the `only` paths) as the manifest has it."""
    found = checksums(directory, only)
    expected = {f: h for f, h in manifest.checksums.items() if not only or f.split("/")[0] in only}
    if set(found) != set(expected):
        raise IndexBuildError(f"index at {directory} is incomplete")
    for file, digest in expected.items():
        if found[file] != digest:
            raise IndexBuildError(f"index at {directory} is corrupt: {file} changed")


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def source_to_json(source: SourceInfo) -> dict:
    data = asdict(source)
    data["published"] = source.published.isoformat() if source.published else None
    return data


def _source_from_json(data: dict) -> SourceInfo:
    published = date.fromisoformat(data["published"]) if data.get("published") else None
    return SourceInfo(**{**data, "published": published})


def _passage_text(passages: tuple[PassageRow, ...]) -> Callable[[int], str]:
    """A passage's normalised heading and text, made when asked for: a name check reads a
    few passages, so keeping them all normalised would only cost memory."""

    def text(position: int) -> str:
        p = passages[position]
        return normalise(f"{p.heading or ''}\n{p.text}")

    return text


_PASSAGE_FIELDS = tuple(f.name for f in fields(PassageRow))


def passage_to_json(passage: PassageRow) -> list:
    """A passage as a list of its fields: half the bytes of an object, and faster both ways."""
    return [getattr(passage, name) for name in _PASSAGE_FIELDS]


def write_passages(path: Path, passages: Sequence[PassageRow], chunk: int = 5000) -> None:
    """The passages as one JSON array, written a chunk at a time: a large corpus's whole text
    as one string would add its size again to what a reload holds."""
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for start in range(0, len(passages), chunk):
            part = [passage_to_json(p) for p in passages[start : start + chunk]]
            f.write(("," if start else "") + json.dumps(part, ensure_ascii=False)[1:-1])
        f.write("]")


def assemble(
    directory: Path,
    manifest: IndexManifest,
    passages: tuple[PassageRow, ...],
    sources: dict[str, SourceInfo],
    dense: DenseIndex,
) -> IndexSnapshot:
    """A snapshot of passages and their dense index, with the lexical index and the name
    lookup read from the build's files."""
    lexical = BM25Index.load(directory / LEXICAL_DIR)
    names = NameIndex.load(directory, lexical, _passage_text(passages))
    if len(dense.slots) != len(passages) or lexical.size != len(passages):
        raise IndexBuildError(f"index at {directory} is inconsistent")
    return IndexSnapshot(
        directory, manifest, passages, MappingProxyType(sources), dense, lexical, names
    )


def load_snapshot_dir(directory: Path) -> IndexSnapshot:
    try:
        manifest = IndexManifest.read(directory)
        verify(directory, manifest)
        passages = tuple(
            PassageRow(*p) for p in json.loads((directory / PASSAGES_FILE).read_text())
        )
        sources = {
            s.id: s
            for s in map(_source_from_json, json.loads((directory / SOURCES_FILE).read_text()))
        }
        dense = DenseIndex.load(directory, [passage_key(p.id, p.content_hash) for p in passages])
        return assemble(directory, manifest, passages, sources, dense)
    except IndexBuildError:
        raise
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexBuildError(f"index at {directory} is unreadable: {exc}") from exc
