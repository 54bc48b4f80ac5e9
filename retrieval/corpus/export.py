"""Sources added from Slack written out in the corpus format (a file each, their metadata in
`sources.toml`), so none lives only in the database: `rumorbot export-corpus DIR`."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.corpus.manifest import load_manifest
from retrieval.corpus.store import CorpusStore, SourceInfo

MANIFEST_FIELDS = ("language", "kind", "tier", "origin")


def _entry(source: SourceInfo) -> str:
    lines = [f"[{json.dumps(source.id)}]"]
    lines.append(f"# added from a {source.added_via} by {source.added_by or 'someone'}")
    for field in MANIFEST_FIELDS:
        if value := getattr(source, field):
            lines.append(f"{field} = {json.dumps(value, ensure_ascii=False)}")
    if source.published:
        lines.append(f"published = {source.published.isoformat()}")
    return "\n".join(lines) + "\n"


def export_added(store: CorpusStore, directory: Path) -> list[str]:
    """Write each added source's document into `directory` (replacing a file of its name)
    and its manifest entry into `sources.toml` (appended where the manifest lacks it); the
    names written."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest, _ = load_manifest(directory)
    added = store.added_documents()
    for source, document in added:
        (directory / source.id).write_text(document, encoding="utf-8")
    missing = [_entry(s) for s, _ in added if s.id not in manifest]
    if missing:
        path = directory / "sources.toml"
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        separator = "\n" if before and not before.endswith("\n\n") else ""
        path.write_text(before + separator + "\n".join(missing), encoding="utf-8")
    return [s.id for s, _ in added]
