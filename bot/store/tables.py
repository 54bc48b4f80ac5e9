"""The Slack app's own tables: the answer log, votes, Slack events taken on, followed topics,
the messages sent on its own and channel modes. They share the corpus tables' metadata, so one
Alembic history migrates both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from retrieval.db.tables import Base, utcnow


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
    # Given with a 👎 (its modal): one of bot.store.answers.FEEDBACK_REASONS, and free text.
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
