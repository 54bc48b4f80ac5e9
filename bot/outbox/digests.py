"""Digests: after a corpus change, one message to each channel following a topic the change
touches. Any replica may deliver; each (change, channel) is claimed once in the database."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta

from slack_sdk import WebClient

from bot.blocks import digest_blocks, digest_fallback
from bot.store.notifications import Notifications
from bot.store.subscriptions import Followed, Subscriptions, topic_key
from retrieval.answers.engine import AnswerEngine
from retrieval.answers.payload import QuotedPassage
from retrieval.answers.quoting import best_sentence, excerpt
from retrieval.changes.news import TopicNews, topic_news
from retrieval.corpus.store import CorpusChange, CorpusStore
from retrieval.db.tables import utcnow

log = logging.getLogger(__name__)

KIND = "digest"
# A change older than this is not announced late (a replica that was down for a day).
DIGEST_WINDOW = timedelta(hours=1)
QUOTES_PER_TOPIC = 3


@dataclass
class Digest:
    channel_id: str
    change: CorpusChange
    news: list[TopicNews] = field(default_factory=list)


class Digests:
    """The digests of corpus changes: what each would send, and sending what is due."""

    def __init__(
        self,
        engine: AnswerEngine,
        store: CorpusStore,
        subscriptions: Subscriptions,
        notifications: Notifications,
        translations_on: bool,
    ):
        self.engine = engine
        self.store = store
        self.subscriptions = subscriptions
        self.notifications = notifications
        self.translations_on = translations_on  # whether quotes say "English pending"

    def for_change(self, change: CorpusChange, follows: list[Followed]) -> list[Digest]:
        """The digests one change would send, given what channels follow: a channel hears
        once, about every followed topic the change touches, and only of topics followed
        before it."""
        engine = self.engine
        snapshot = engine.snapshot
        english = engine.english
        present = {p.id for p in snapshot.passages}
        # A passage a later change already took away is not news any more.
        current = replace(change, new=tuple(p for p in change.new if p.id in present))
        sources = dict(snapshot.sources)

        def english_of(content_hash: str) -> str | None:
            rendering = english.rendering(content_hash) if english is not None else None
            return rendering.english if rendering is not None else None

        news: dict[str, TopicNews | None] = {}
        digests: dict[str, Digest] = {}
        for follow in follows:
            if change.finished_at is not None and follow.followed_at > change.finished_at:
                continue
            key = topic_key(follow.topic)
            if key not in news:
                analysis = engine.analyse(follow.topic)
                news[key] = topic_news(
                    follow.topic, analysis, current, snapshot.passages, sources, english_of
                )
            topic = news[key]
            if topic is not None:
                digest = digests.setdefault(follow.channel_id, Digest(follow.channel_id, change))
                digest.news.append(topic)
        return list(digests.values())

    def quoted(self, news: TopicNews) -> list[QuotedPassage]:
        """The topic's new passages as the blocks quote them (the answer's passage shape)."""
        engine = self.engine
        english = engine.english
        analysis = engine.analyse(news.topic)
        snapshot = engine.snapshot
        out: list[QuotedPassage] = []
        for passage in news.new[:QUOTES_PER_TOPIC]:
            source = snapshot.sources[passage.source_id]
            key = best_sentence(passage.text, analysis)
            shown = excerpt(passage.text, key)
            in_english, key_in_english, checked = (
                english.quoted(passage.content_hash, passage.text, shown or passage.text, key)
                if english is not None
                else None
            ) or (None, None, None)
            out.append(
                {
                    "text": passage.text,
                    "excerpt": shown,
                    "highlight": key,
                    "title": source.title,
                    "url": source.url,
                    "outlet": source.outlet,
                    "author": source.author,
                    "tier": source.tier,
                    "published": source.published.isoformat() if source.published else None,
                    "english": in_english,
                    "english_highlight": key_in_english,
                    "english_checked": checked,
                }
            )
        return out

    def pending(self) -> dict[int, list[Digest]]:
        """Digests of recent changes that the served corpus already includes, by version (a
        version that touches no followed topic has none)."""
        served = self.engine.snapshot.version
        follows = self.subscriptions.following()
        if not follows:
            return {}
        pending = {}
        for version in self.store.changes_since(utcnow() - DIGEST_WINDOW):
            if (KIND, version) in self.notifications.settled or version > served:
                continue
            change = self.store.change(version)
            if change is not None:
                pending[version] = self.for_change(change, follows)
        return pending

    def deliver(self, client: WebClient) -> list[Digest]:
        """Post what is pending and not yet claimed; returns the digests this process posted."""
        posted = []
        notifications = self.notifications
        pending = self.pending()
        for digest in (d for digests in pending.values() for d in digests):
            version, channel = digest.change.version, digest.channel_id
            if not notifications.claim(KIND, version, channel):
                continue
            try:
                quotes = [(n, self.quoted(n)) for n in digest.news]
                blocks = digest_blocks(digest.change, quotes, self.translations_on)
                response = client.chat_postMessage(
                    channel=channel,
                    text=digest_fallback(digest.news),
                    blocks=blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except Exception as exc:
                outcome = notifications.slack_failed(KIND, version, channel, exc)
                log.warning("digest for version %s to channel=%s: %s", version, channel, outcome)
                continue
            notifications.sent(KIND, version, channel, response.get("ts"))
            log.info(
                "digest posted corpus_version=%s channel=%s topics=%d",
                version,
                channel,
                len(digest.news),
            )
            posted.append(digest)
        # A change whose every digest is sent or given up needs no more looking at (the sweep
        # would otherwise match every followed topic against it every 20 s for an hour).
        for version, digests in pending.items():
            notifications.done(KIND, version, [d.channel_id for d in digests])
        return posted
