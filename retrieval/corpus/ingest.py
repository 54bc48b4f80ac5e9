"""Ingest: corpus directory → sources and passages in the database, in one transaction."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from retrieval.corpus.documents import SkipFile, is_ignored, parse_document, read_text
from retrieval.corpus.manifest import DEFAULT_TIER, SourceEntry, load_manifest
from retrieval.corpus.passages import PARSER_VERSION, PassageDraft, build_passages, fingerprint
from retrieval.db.session import INGEST_LOCK, lock_replicas
from retrieval.db.tables import CorpusVersion, Passage, Source, utcnow

log = logging.getLogger(__name__)


class IngestError(RuntimeError):
    """The ingest failed and was rolled back; the previous corpus version is still served."""


class SourceRefused(ValueError):
    """An added source was not added (or a removal not done); the message says why."""


DUPLICATE_SHARE = 0.6  # of a new source's sentences found in one source: a duplicate of it


@dataclass(frozen=True)
class AddedSource:
    """A source added from Slack: its document in the corpus format, what sources.toml would
    say of it, and who added it how ("link" or "upload")."""

    name: str
    document: str
    entry: SourceEntry
    added_via: str
    added_by: str | None


@dataclass(frozen=True)
class Skipped:
    file: str
    reason: str


@dataclass
class PreparedSource:
    source_id: str
    content_hash: str
    meta: dict[str, Any]
    # None: the file is as ingested before (same hash), so it was not parsed again.
    passages: list[PassageDraft] | None


@dataclass
class IngestReport:
    version_id: int
    status: str  # "changed" | "unchanged"
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_count: int = 0
    passage_count: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    # Removed sources and passages that left the corpus, with their text: see CorpusVersion.gone.
    gone: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def has_changes(self) -> bool:
        return self.status == "changed"


Progress = Callable[[str], None]


def _source_hash(raw_text: str, entry: SourceEntry | None) -> str:
    manifest = entry.model_dump_json() if entry else ""
    return hashlib.sha256(f"{PARSER_VERSION}\x00{raw_text}\x00{manifest}".encode()).hexdigest()


NOTHING_QUOTABLE = "no quotable text left after cleaning"


def _parsed(
    name: str, text: str, entry: SourceEntry | None, content_hash: str
) -> tuple[PreparedSource | None, list[str]]:
    """A document parsed and cut into passages (None when nothing quotable is left), with
    the parser's warnings; SkipFile (the reason) when it cannot be parsed. What sources.toml
    (or an added source's entry) says overrides what the document says of itself."""
    doc = parse_document(name, text)
    passages = build_passages(doc, name)
    if not passages:
        return None, doc.warnings
    meta = {**doc.meta, **(entry.model_dump(exclude_none=True) if entry else {})}
    return PreparedSource(name, content_hash, meta, passages), doc.warnings


class CorpusIngestor:
    def __init__(self, sessions: sessionmaker[Session], max_file_bytes: int = 2_000_000):
        self.sessions = sessions
        self.max_file_bytes = max_file_bytes

    # -- reading (no database) -------------------------------------------------

    def prepare(
        self,
        corpus_dir: Path,
        progress: Progress | None = None,
        known: Mapping[str, str] | None = None,
    ) -> tuple[list[PreparedSource], list[Skipped], list[str]]:
        """Read and parse the corpus. `known`: the content hash of each file as ingested
        before; a file still of that hash is not parsed again (a reload of one changed file
        parses one file)."""
        known = known or {}
        if not corpus_dir.is_dir():
            raise IngestError(f"corpus directory {corpus_dir} does not exist")
        manifest, warnings = load_manifest(corpus_dir)
        prepared: list[PreparedSource] = []
        skipped: list[Skipped] = []
        files = sorted(p for p in corpus_dir.iterdir() if not is_ignored(p.name))
        for number, path in enumerate(files, 1):
            if progress:
                progress(f"[{number}/{len(files)}] {path.name}")
            if not path.is_file():
                continue
            entry = manifest.get(path.name)
            try:
                text = read_text(path, self.max_file_bytes)
                content_hash = _source_hash(text, entry)
                if known.get(path.name) == content_hash:
                    prepared.append(PreparedSource(path.name, content_hash, {}, None))
                    continue
                item, doc_warnings = _parsed(path.name, text, entry, content_hash)
            except SkipFile as exc:
                skipped.append(Skipped(path.name, str(exc)))
                continue
            warnings.extend(f"{path.name}: {w}" for w in doc_warnings)
            if item is None:
                skipped.append(Skipped(path.name, NOTHING_QUOTABLE))
                continue
            prepared.append(item)
        for name in sorted(set(manifest) - {p.name for p in files}):
            warnings.append(f"sources.toml names {name}, which is not in the corpus")
        return prepared, skipped, warnings

    # -- writing (one transaction) ---------------------------------------------

    def ingest(
        self, corpus_dir: Path, triggered_by: str = "cli", progress: Progress | None = None
    ) -> IngestReport:
        started = time.perf_counter()
        with self.sessions() as session:
            known = dict(session.execute(select(Source.id, Source.content_hash)).all())
        prepared, skipped, warnings = self.prepare(corpus_dir, progress, known)
        try:
            with self.sessions.begin() as session:
                report = self._apply(session, prepared, skipped, warnings, triggered_by)
        except Exception as exc:
            log.exception("ingest failed; the previous corpus version stays in service")
            self._record_failure(triggered_by, skipped, warnings, exc)
            raise IngestError(f"ingest failed and was rolled back: {exc}") from exc
        report.duration_s = time.perf_counter() - started
        return report

    def add(self, added: AddedSource, triggered_by: str) -> IngestReport:
        """Add one source from Slack in a corpus version of its own; SourceRefused when it
        has no quotable text, is already in the corpus, or repeats a source that is."""
        content_hash = _source_hash(added.document, added.entry)
        try:
            item, _ = _parsed(added.name, added.document, added.entry, content_hash)
        except SkipFile as exc:
            raise SourceRefused(str(exc)) from exc
        if item is None:
            raise SourceRefused(NOTHING_QUOTABLE)
        started = time.perf_counter()
        with self.sessions.begin() as session:
            lock_replicas(session.connection(), INGEST_LOCK)
            _refuse_duplicates(session, item)
            version, report = self._open_version(session, triggered_by, [], [])
            self._write_source(session, item, None, version.id, report)
            source = session.get(Source, added.name)
            assert source is not None
            source.added_via, source.added_by = added.added_via, added.added_by
            source.added_at, source.document = utcnow(), added.document
            report.added.append(added.name)
            self._close_version(session, version, report)
        report.duration_s = time.perf_counter() - started
        return report

    def remove(self, source_id: str, triggered_by: str) -> IngestReport:
        """Take one source out of the corpus in a corpus version of its own."""
        started = time.perf_counter()
        with self.sessions.begin() as session:
            lock_replicas(session.connection(), INGEST_LOCK)
            source = session.get(Source, source_id)
            if source is None:
                raise SourceRefused(f"{source_id} is not in the corpus")
            version, report = self._open_version(session, triggered_by, [], [])
            self._remove_source(session, source, report)
            self._close_version(session, version, report)
        report.duration_s = time.perf_counter() - started
        return report

    def _open_version(
        self, session: Session, triggered_by: str, skipped: list[Skipped], warnings: list[str]
    ) -> tuple[CorpusVersion, IngestReport]:
        version = CorpusVersion(triggered_by=triggered_by, status="running")
        session.add(version)
        session.flush()
        report = IngestReport(version_id=version.id, status="unchanged", skipped=skipped)
        report.warnings = warnings
        return version, report

    def _remove_source(self, session: Session, source: Source, report: IngestReport) -> None:
        report.removed.append(source.id)
        report.passages_removed += len(source.passages)
        report.gone.append(_gone(source, source.passages))
        session.delete(source)

    def _apply(
        self,
        session: Session,
        prepared: list[PreparedSource],
        skipped: list[Skipped],
        warnings: list[str],
        triggered_by: str,
    ) -> IngestReport:
        # Two reloads on two replicas at once would otherwise interleave their writes.
        lock_replicas(session.connection(), INGEST_LOCK)
        version, report = self._open_version(session, triggered_by, skipped, warnings)
        everything = {s.id: s for s in session.scalars(select(Source))}
        # The directory holds the corpus's files only: sources added from Slack live in the
        # database, and a file of the same name does not replace one.
        existing = {k: s for k, s in everything.items() if s.added_via == "file"}
        from_slack = everything.keys() - existing.keys()
        files = []
        for item in prepared:
            if item.source_id in from_slack:
                report.warnings.append(f"{item.source_id}: a source added from Slack has this name")
            else:
                files.append(item)
        prepared = files
        skipped_names = {s.file for s in skipped}
        present = {p.source_id for p in prepared}
        for item in prepared:
            current = existing.get(item.source_id)
            if current is None:
                report.added.append(item.source_id)
            elif current.content_hash != item.content_hash:
                report.changed.append(item.source_id)
            else:
                report.unchanged.append(item.source_id)
                continue
            if item.passages is None:
                # Read as unchanged before the lock; another replica's reload changed it since.
                raise RuntimeError(f"{item.source_id} changed during the reload; reload again")
            self._write_source(session, item, current, version.id, report)
        for source_id, source in existing.items():
            if source_id in skipped_names:
                report.warnings.append(f"{source_id}: kept the previously ingested version")
            elif source_id not in present:
                self._remove_source(session, source, report)
        self._close_version(session, version, report)
        return report

    def _close_version(
        self,
        session: Session,
        version: CorpusVersion,
        report: IngestReport,
    ) -> None:
        session.flush()
        report.status = (
            "changed" if report.added or report.changed or report.removed else ("unchanged")
        )
        report.source_count = session.scalar(select(func.count()).select_from(Source)) or 0
        report.passage_count = session.scalar(select(func.count()).select_from(Passage)) or 0
        version.status = report.status
        version.finished_at = utcnow()
        version.source_count = report.source_count
        version.passage_count = report.passage_count
        version.added, version.changed, version.removed = (
            report.added,
            report.changed,
            report.removed,
        )
        version.skipped = [{"file": s.file, "reason": s.reason} for s in report.skipped]
        version.warnings = list(report.warnings)
        version.gone = report.gone

    def _write_source(
        self,
        session: Session,
        item: PreparedSource,
        current: Source | None,
        version_id: int,
        report: IngestReport,
    ) -> None:
        meta, drafts = item.meta, item.passages
        assert drafts is not None  # only parsed files are written
        source = current or Source(id=item.source_id)
        source.title = meta.get("title") or item.source_id
        source.outlet = meta.get("outlet")
        source.author = meta.get("author")
        source.url = meta.get("url")
        source.published = meta.get("published")
        source.language = meta.get("language")
        source.kind = meta.get("kind")
        source.tier = meta.get("tier") or DEFAULT_TIER.get(source.kind or "", "analysis")
        # Without a stated origin a source is its own: only stated relays share an origin.
        source.origin = meta.get("origin") or source.outlet or source.author or source.id
        source.content_hash = item.content_hash
        source.version_id = version_id
        if current is None:
            session.add(source)
        session.flush()
        new_ids = {p.id for p in drafts}
        old = {
            p.id: p for p in session.scalars(select(Passage).where(Passage.source_id == source.id))
        }
        stale = set(old) - new_ids
        if stale:
            report.gone.append(_gone(source, [old[i] for i in sorted(stale)]))
            session.execute(delete(Passage).where(Passage.id.in_(stale)))
            report.passages_removed += len(stale)
        for draft in drafts:
            row = old.get(draft.id)
            if row is None:
                session.add(
                    Passage(
                        id=draft.id,
                        source_id=source.id,
                        position=draft.position,
                        heading=draft.heading,
                        text=draft.text,
                        content_hash=draft.content_hash,
                        added_in=version_id,
                    )
                )
                report.passages_added += 1
            else:
                row.position, row.heading = draft.position, draft.heading

    def _record_failure(
        self, triggered_by: str, skipped: list[Skipped], warnings: list[str], exc: Exception
    ) -> None:
        try:
            with self.sessions.begin() as session:
                session.add(
                    CorpusVersion(
                        triggered_by=triggered_by,
                        status="failed",
                        finished_at=utcnow(),
                        skipped=[{"file": s.file, "reason": s.reason} for s in skipped],
                        warnings=warnings,
                        error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                )
        except Exception:  # the database itself may be what failed
            log.warning("could not record the failed ingest", exc_info=True)


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.])\s+|\n+")
MIN_SENTENCE = 12  # characters of a sentence's fingerprint worth matching on


def _sentences(text: str) -> set[str]:
    """A text's sentences, as fingerprints: a relay of an article repeats its sentences even
    where it cuts its paragraphs (and so its passages) differently."""
    printed = (fingerprint(s) for s in _SENTENCE_END.split(text))
    return {p for p in printed if len(p) >= MIN_SENTENCE}


def _refuse_duplicates(session: Session, item: PreparedSource) -> None:
    """SourceRefused when the source is already in the corpus (the same document) or most of
    its sentences are one source's."""
    same = session.scalars(select(Source).where(Source.content_hash == item.content_hash)).first()
    if same is not None:
        raise SourceRefused(f"already in the corpus as “{same.title}” ({same.id})")
    if (named := session.get(Source, item.source_id)) is not None:
        # The same link again, its page changed since: an update is a removal and an add.
        raise SourceRefused(
            f"this link is already in the corpus as “{named.title}” ({named.id}), as it read"
            " then; remove it first to add the page as it reads now"
        )
    assert item.passages is not None
    new = set().union(*(_sentences(p.text) for p in item.passages))
    if not new:
        return
    shared: dict[str, set[str]] = {}
    for source_id, text in session.execute(select(Passage.source_id, Passage.text)):
        if found := new & _sentences(text):
            shared.setdefault(source_id, set()).update(found)
    if not shared:
        return
    source_id, found = max(shared.items(), key=lambda kv: len(kv[1]))
    if len(found) >= DUPLICATE_SHARE * len(new):
        source = session.get(Source, source_id)
        raise SourceRefused(
            f"a duplicate of “{source.title if source else source_id}” ({source_id}):"
            f" {len(found)} of its {len(new)} sentences are that source's"
        )


def _gone(source: Source, passages: list[Passage]) -> dict[str, Any]:
    """A source's passages leaving the corpus, with what a digest needs to name them."""
    return {
        "source_id": source.id,
        "title": source.title,
        "outlet": source.outlet,
        "published": source.published.isoformat() if source.published else None,
        "tier": source.tier,
        "passages": [{"heading": p.heading, "text": p.text} for p in passages],
    }
