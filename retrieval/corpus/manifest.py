"""`corpus/sources.toml`: per-source metadata that overrides what a file says of itself."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

SourceKind = Literal["report", "analysis", "transcript", "commentary"]
# Strongest first: a named person's own statement; an outlet's reporting with its own sources;
# a writer's reasoning; a transcript, translation or re-post of someone else's work.
Tier = Literal["on-record", "report", "analysis", "retelling", "comment"]
TIERS: tuple[str, ...] = ("on-record", "report", "analysis", "retelling", "comment")
DEFAULT_TIER = {
    "report": "report",
    "analysis": "analysis",
    "commentary": "analysis",
    "transcript": "retelling",
}


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    url: str | None = None
    published: date | None = None
    language: str | None = None
    kind: SourceKind | None = None
    tier: Tier | None = None
    # The original work this source derives from ("The Information" for a relay of it).
    origin: str | None = None


def load_manifest(corpus_dir: Path) -> tuple[dict[str, SourceEntry], list[str]]:
    """Entries by file name, and warnings. A broken manifest is ignored, never fatal."""
    path = corpus_dir / "sources.toml"
    if not path.exists():
        return {}, []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"sources.toml: unreadable ({exc}); file metadata used as is"]
    entries: dict[str, SourceEntry] = {}
    warnings: list[str] = []
    for name, fields in raw.items():
        try:
            entries[name] = SourceEntry.model_validate(fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            warnings.append(f"sources.toml [{name}]: ignored ({problems})")
    return entries, warnings
