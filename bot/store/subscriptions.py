"""What channels follow: the topics whose corpus changes a channel hears about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.tables import FollowedTopic
from bot.text import clean_text
from retrieval.text.tokens import fold

MAX_TOPICS = 20  # per channel: a digest about everything helps nobody
MAX_TOPIC_CHARS = 80


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
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

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
        return removed.rowcount > 0  # type: ignore[attr-defined]

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
