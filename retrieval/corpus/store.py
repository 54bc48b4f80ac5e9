"""Read side of the corpus: what is served now, for listings, search and the index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from retrieval.db.tables import CorpusVersion, Passage, Source


@dataclass(frozen=True)
class SourceInfo:
    id: str
    title: str
    outlet: str | None
    author: str | None
    url: str | None
    published: date | None
    language: str | None
    kind: str | None
    passage_count: int
    tier: str | None = None
    origin: str | None = None
    added_via: str = "file"  # "file" (corpus/), "link" or "upload" (added from Slack)
    added_by: str | None = None


@dataclass(frozen=True)
class PassageRow:
    id: str
    source_id: str
    position: int
    heading: str | None
    text: str
    content_hash: str


@dataclass(frozen=True)
class GonePassage:
    """A passage that left the corpus, with its source as it was."""

    source: SourceInfo
    heading: str | None
    text: str


@dataclass(frozen=True)
class CorpusChange:
    """What one ingest changed: sources added, changed and removed, the passages it brought
    and those it took away."""

    version: int
    finished_at: datetime | None
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    new: tuple[PassageRow, ...]
    gone: tuple[GonePassage, ...]


@dataclass(frozen=True)
class VersionInfo:
    id: int
    finished_at: datetime | None
    triggered_by: str
    source_count: int
    passage_count: int


class CorpusStore:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def current_version(self) -> VersionInfo | None:
        """The newest ingest that changed the corpus: the version being served."""
        with self.sessions() as session:
            return _current_version(session)

    def last_ingest(self) -> CorpusVersion | None:
        with self.sessions() as session:
            return session.scalars(
                select(CorpusVersion).order_by(CorpusVersion.id.desc()).limit(1)
            ).first()

    def sources(self) -> list[SourceInfo]:
        with self.sessions() as session:
            return _sources(session)

    def added_documents(self) -> list[tuple[SourceInfo, str]]:
        """The sources added from Slack with their documents (the corpus format): what
        `rumorbot export-corpus` writes out."""
        with self.sessions() as session:
            rows = session.execute(select(Source.id, Source.document)).all()
            documents = {source_id: document for source_id, document in rows if document}
            return [(s, documents[s.id]) for s in _sources(session) if s.id in documents]

    def change(self, version: int | None = None) -> CorpusChange | None:
        """What the given version (or the latest that changed anything) changed."""
        with self.sessions() as session:
            query = select(CorpusVersion).where(CorpusVersion.status == "changed")
            if version is not None:
                query = query.where(CorpusVersion.id == version)
            row = session.scalars(query.order_by(CorpusVersion.id.desc()).limit(1)).first()
            if row is None:
                return None
            new = session.execute(
                _PASSAGE_COLUMNS.where(Passage.added_in == row.id).order_by(
                    Passage.source_id, Passage.position
                )
            ).all()
            return CorpusChange(
                row.id,
                row.finished_at,
                tuple(row.added or ()),
                tuple(row.changed or ()),
                tuple(row.removed or ()),
                tuple(PassageRow(*r) for r in new),
                tuple(_gone_passages(row.gone or [])),
            )

    def added_since(self, version: int) -> set[str]:
        """Ids of the passages that later versions brought (all of them still served)."""
        with self.sessions() as session:
            return set(session.scalars(select(Passage.id).where(Passage.added_in > version)))

    def changes_since(self, when: datetime) -> list[int]:
        """Versions that changed the corpus and finished after `when`, oldest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(CorpusVersion.id)
                    .where(CorpusVersion.status == "changed", CorpusVersion.finished_at >= when)
                    .order_by(CorpusVersion.id)
                )
            )

    def snapshot(
        self, held: Iterable[PassageRow] = ()
    ) -> tuple[VersionInfo | None, list[SourceInfo], list[PassageRow]]:
        """Version, sources and passages read in one transaction, so they describe one corpus.
        `held`: passages already in memory (the served snapshot's); a passage read that equals
        one of them is returned as that object, so a reload holds one copy of what it kept."""
        with self.sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            return _current_version(session), _sources(session), _passages(session, held)


def _current_version(session: Session) -> VersionInfo | None:
    row = session.scalars(
        select(CorpusVersion)
        .where(CorpusVersion.status == "changed")
        .order_by(CorpusVersion.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return VersionInfo(
        row.id, row.finished_at, row.triggered_by, row.source_count, row.passage_count
    )


def _sources(session: Session) -> list[SourceInfo]:
    counts = dict(
        session.execute(select(Passage.source_id, func.count()).group_by(Passage.source_id)).all()
    )
    return [
        SourceInfo(
            s.id,
            s.title,
            s.outlet,
            s.author,
            s.url,
            s.published,
            s.language,
            s.kind,
            counts.get(s.id, 0),
            s.tier,
            s.origin,
            s.added_via,
            s.added_by,
        )
        for s in session.scalars(select(Source).order_by(Source.id))
    ]


_PASSAGE_COLUMNS = select(
    Passage.id,
    Passage.source_id,
    Passage.position,
    Passage.heading,
    Passage.text,
    Passage.content_hash,
)


def _passages(session: Session, held: Iterable[PassageRow] = ()) -> list[PassageRow]:
    known = {p: p for p in held}
    rows = session.execute(
        _PASSAGE_COLUMNS.order_by(Passage.source_id, Passage.position),
        execution_options={"yield_per": 2000},  # streamed: rows read are dropped as they match
    )
    out = []
    for row in rows:
        passage = PassageRow(*row)
        out.append(known.get(passage, passage))
    return out


def _gone_passages(gone: list[dict]) -> list[GonePassage]:
    out = []
    for entry in gone:
        published = entry.get("published")
        source = SourceInfo(
            id=entry["source_id"],
            title=entry.get("title") or entry["source_id"],
            outlet=entry.get("outlet"),
            author=None,
            url=None,
            published=date.fromisoformat(published) if published else None,
            language=None,
            kind=None,
            passage_count=len(entry.get("passages", [])),
            tier=entry.get("tier"),
        )
        out += [GonePassage(source, p.get("heading"), p["text"]) for p in entry["passages"]]
    return out
