"""The corpus tables: sources, passages, corpus versions, the embedding cache and the English
renderings; the declarative base and its naming convention (the bot adds its own tables)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """One corpus file. Its file name is its stable id."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(255))
    author: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(32))
    tier: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str | None] = mapped_column(String(255))
    # sha256 of the file's bytes plus its manifest entry: what decides "changed".
    content_hash: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(ForeignKey("corpus_versions.id"))
    # "file" (corpus/), "link" (/rumor add <url>) or "upload" (a file shared in Slack). A
    # reload of corpus/ only ever removes files; the others leave by /rumor remove.
    added_via: Mapped[str] = mapped_column(String(16), default="file", server_default="file")
    added_by: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An added source's document in the corpus format: no file holds it (export-corpus does).
    document: Mapped[str | None] = mapped_column(Text)

    passages: Mapped[list[Passage]] = relationship(
        back_populates="source", cascade="all, delete-orphan", order_by="Passage.position"
    )


class Passage(Base):
    """A quotable unit of a source, stored verbatim as it is shown to users."""

    __tablename__ = "passages"

    # Derived from source id + text, so an unchanged passage keeps its id across ingests.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # The corpus version whose ingest brought this text: what a change digest quotes.
    added_in: Mapped[int | None] = mapped_column(Integer)

    source: Mapped[Source] = relationship(back_populates="passages")


class CorpusVersion(Base):
    """One row per ingest run: who triggered it, what changed, and why files were skipped."""

    __tablename__ = "corpus_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    triggered_by: Mapped[str] = mapped_column(String(255))
    # "changed" publishes a new corpus; "unchanged" and "failed" leave the served one as it is.
    status: Mapped[str] = mapped_column(String(16))
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    passage_count: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[list[str]] = mapped_column(JSON, default=list)
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    removed: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"file": ..., "reason": ...}]
    skipped: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    # What the change took away (removed sources, passages of changed ones that are gone),
    # kept because the rows themselves are deleted: digests say what is no longer quoted.
    gone: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class Embedding(Base):
    """Embedding cache: a passage text is embedded once per model."""

    __tablename__ = "embeddings"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    # float32, little-endian
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Translation(Base):
    """An English rendering of a text (a passage or a title), by content hash, per translator
    and prompt version: an unchanged passage is never translated twice, a new prompt version
    translates everything again. A row is first a claim, so replicas translate it once."""

    __tablename__ = "translations"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    translator_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    prompt_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "claimed" while a worker translates it (taken over when its heartbeat goes stale);
    # "partial" when it is claimed and the units an answer shows first are rendered; "done".
    status: Mapped[str] = mapped_column(String(16))
    worker: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    english: Mapped[str | None] = mapped_column(Text)
    # False: kept, but a number, name or negation of the source did not survive (shown warned).
    checked: Mapped[bool | None] = mapped_column(Boolean)
    # [[chinese piece, english piece], ...]
    segments: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)
