"""SQLAlchemy models: the corpus, its versions, the embedding cache and the answer log."""

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
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
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


class AnswerLog(Base):
    """Every answer given, for stats and feedback. Never holds tokens."""

    __tablename__ = "answers"
    # A thread's earlier answers: what a follow-up question in that thread builds on.
    __table_args__ = (
        Index("ix_answers_channel_id_thread_ts", "channel_id", "thread_ts"),
        # The answers of the last days: what a corpus change re-checks.
        Index("ix_answers_asked_at", "asked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    surface: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    passage_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    timings_ms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    corpus_version: Mapped[int | None] = mapped_column(Integer)
    # The answer as shown, so "share" and later reads show exactly what the asker saw.
    answer_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Where it was posted in Slack (null for private answers and the CLI).
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # Corrections made in place after corpus changes, oldest first ({corpus_version, at,
    # was, now, was_reason, new, gone}); the columns above then hold the answer now shown.
    revisions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("answer_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    vote: Mapped[int] = mapped_column(Integer)
    # Given with a 👎 (its modal): one of bot.records.FEEDBACK_REASONS, and free text.
    reason: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HandledEvent(Base):
    """Slack event ids already taken on, so a retried delivery is answered once."""

    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Null while a replica works on it; a claim that never finishes may be taken over.
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # "<replica id>:<process run>": which replica holds it, and whether it is a past run of it.
    owner: Mapped[str | None] = mapped_column(String(128))
    # What to answer and where (channel, thread, user, text, surface): enough to answer it
    # again after the owner died, with no redelivery from Slack.
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The answer's message ts once Slack accepted it: a takeover never posts a second one.
    posted_ts: Mapped[str | None] = mapped_column(String(32))


class Translation(Base):
    """An English rendering of a text (a passage or a title), by content hash, per translator
    and prompt version: an unchanged passage is never translated twice, a new prompt version
    translates everything again. A row is first a claim, so replicas translate it once."""

    __tablename__ = "translations"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    translator_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    prompt_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "claimed" while a worker translates it (taken over when its heartbeat goes stale); "done".
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


class FollowedTopic(Base):
    """A topic a channel follows: it hears when a corpus change touches it."""

    __tablename__ = "followed_topics"
    __table_args__ = (
        UniqueConstraint("channel_id", "topic_key", name="uq_followed_topics_channel_topic"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(200))  # as typed (cleaned)
    topic_key: Mapped[str] = mapped_column(String(200))  # folded, for "GPT-5" == "gpt-5"
    followed_by: Mapped[str | None] = mapped_column(String(64))
    followed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Base):
    """A message rumorbot sends or edits on its own after a corpus change (a channel's digest,
    a past answer's correction), claimed by one replica and recorded as done only once Slack
    accepted it."""

    __tablename__ = "notifications"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "digest", "correction"
    corpus_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The channel id of a digest, the answer id of a correction.
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # "claimed" → "posted"; "retry" after a transient failure; "failed" when Slack refused
    # for good (not_in_channel, channel_not_found…) or the attempts ran out.
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    posted_ts: Mapped[str | None] = mapped_column(String(32))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelMode(Base):
    """How rumorbot answers in a channel: "mention" (the default, no row) or "auto"."""

    __tablename__ = "channel_modes"

    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    set_by: Mapped[str | None] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
