"""Read side of the corpus: what is served now, for listings, search and the index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from retrieval.models import CorpusVersion, Passage, Source


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


@dataclass(frozen=True)
class PassageRow:
    id: str
    source_id: str
    position: int
    heading: str | None
    text: str
    content_hash: str


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

    def snapshot(self) -> tuple[VersionInfo | None, list[SourceInfo], list[PassageRow]]:
        """Version, sources and passages read in one transaction, so they describe one corpus."""
        with self.sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            return _current_version(session), _sources(session), _passages(session)


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
        )
        for s in session.scalars(select(Source).order_by(Source.id))
    ]


def _passages(session: Session) -> list[PassageRow]:
    rows = session.execute(
        select(
            Passage.id,
            Passage.source_id,
            Passage.position,
            Passage.heading,
            Passage.text,
            Passage.content_hash,
        ).order_by(Passage.source_id, Passage.position)
    ).all()
    return [PassageRow(*row) for row in rows]
