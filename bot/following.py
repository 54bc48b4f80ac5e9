"""What channels follow, and the messages rumorbot sends on its own after a corpus change:
claimed once across replicas, retried a bounded number of times, never posted twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.text import clean_text
from retrieval.db import claim, left_behind
from retrieval.lexical import fold
from retrieval.models import FollowedTopic, Notification, utcnow

MAX_TOPICS = 20  # per channel: a digest about everything helps nobody
MAX_TOPIC_CHARS = 80
MAX_ATTEMPTS = 5
# A claimed notification still unposted after this is taken to be lost with its replica.
STALE_NOTICE = timedelta(minutes=2)


class FollowError(ValueError):
    """A follow that cannot be stored; the message says why, for the user."""


@dataclass(frozen=True)
class Followed:
    channel_id: str
    topic: str
    followed_by: str | None
    followed_at: datetime


def clean_topic(text: str) -> str:
    topic = clean_text(text, MAX_TOPIC_CHARS + 1).strip(" \"'“”‘’`")
    if not topic:
        raise FollowError("Give a topic, e.g. `/rumor follow Orion` or `/rumor follow GPT-5`.")
    if len(topic) > MAX_TOPIC_CHARS:
        raise FollowError(f"Topics are at most {MAX_TOPIC_CHARS} characters; name it shorter.")
    return topic


def topic_key(topic: str) -> str:
    """ "GPT-5", "gpt-5" and "GPT‑5 " are one topic."""
    return " ".join(fold(topic).lower().split())


class Subscriptions:
    def __init__(self, sessions: sessionmaker[Session], owner: str = "local:run"):
        self.sessions = sessions
        self.owner = owner
        # Corpus versions whose notifications are all sent or given up: not looked at again.
        self.settled: set[int] = set()

    # -- topics ----------------------------------------------------------------

    def follow(self, channel_id: str, text: str, user_id: str | None) -> tuple[str, bool]:
        """(the topic as stored, whether it is new to the channel)."""
        topic = clean_topic(text)
        key = topic_key(topic)
        with self.sessions.begin() as session:
            existing = session.scalar(
                select(FollowedTopic.topic).where(
                    FollowedTopic.channel_id == channel_id, FollowedTopic.topic_key == key
                )
            )
            if existing is not None:
                return existing, False
            count = session.scalar(
                select(func.count()).where(FollowedTopic.channel_id == channel_id)
            )
            if (count or 0) >= MAX_TOPICS:
                raise FollowError(
                    f"This channel already follows {MAX_TOPICS} topics; unfollow one first."
                )
        try:
            with self.sessions.begin() as session:
                session.add(
                    FollowedTopic(
                        channel_id=channel_id, topic=topic, topic_key=key, followed_by=user_id
                    )
                )
        except IntegrityError:  # followed at the same moment from elsewhere
            return topic, False
        return topic, True

    def unfollow(self, channel_id: str, text: str) -> bool:
        key = topic_key(clean_topic(text))
        with self.sessions.begin() as session:
            removed = session.execute(
                delete(FollowedTopic).where(
                    FollowedTopic.channel_id == channel_id, FollowedTopic.topic_key == key
                )
            )
        return removed.rowcount > 0

    def following(self, channel_ids: list[str] | None = None) -> list[Followed]:
        """Followed topics, of the given channels or of all, by channel then age."""
        query = select(FollowedTopic).order_by(FollowedTopic.channel_id, FollowedTopic.id)
        if channel_ids is not None:
            query = query.where(FollowedTopic.channel_id.in_(channel_ids))
        with self.sessions() as session:
            return [
                Followed(t.channel_id, t.topic, t.followed_by, t.followed_at)
                for t in session.scalars(query)
            ]

    # -- notifications ---------------------------------------------------------

    def _open(self):
        """Notifications no live process holds and that may still be sent: waiting for a
        retry, or claimed by a process that died."""
        return and_(
            Notification.posted_ts.is_(None),
            or_(
                Notification.status == "retry",
                and_(
                    Notification.status == "claimed",
                    left_behind(
                        Notification.owner, Notification.claimed_at, self.owner, STALE_NOTICE
                    ),
                ),
            ),
        )

    def claim(self, kind: str, version: int, target: str) -> bool:
        """True for the one process (on any replica) that should send this notification now."""
        return claim(
            self.sessions,
            Notification(kind=kind, corpus_version=version, target=target, owner=self.owner),
            update(Notification)
            .where(*_key(kind, version, target), self._open())
            .values(owner=self.owner, claimed_at=utcnow(), status="claimed"),
        )

    def sent(self, kind: str, version: int, target: str, posted_ts: str | None) -> None:
        self._finish(kind, version, target, status="posted", posted_ts=posted_ts)

    def failed(self, kind: str, version: int, target: str, error: str, retry: bool) -> str:
        """Record a failed attempt; "retry" while attempts remain and it may help, else
        "failed". Returns the new status."""
        with self.sessions() as session:
            attempts = session.scalar(
                select(Notification.attempts).where(*_key(kind, version, target))
            )
        status = "retry" if retry and (attempts or 0) + 1 < MAX_ATTEMPTS else "failed"
        self._finish(kind, version, target, status=status, error=error[:500])
        return status

    def _finish(self, kind: str, version: int, target: str, **values: object) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Notification)
                .where(*_key(kind, version, target))
                .values(
                    attempts=Notification.attempts + 1,
                    finished_at=utcnow(),
                    **values,
                )
            )

    def status(self, kind: str, version: int, target: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(Notification.status).where(*_key(kind, version, target)))


def _key(kind: str, version: int, target: str) -> tuple:
    return (
        Notification.kind == kind,
        Notification.corpus_version == version,
        Notification.target == target,
    )
