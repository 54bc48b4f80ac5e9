"""Digests: after a corpus change, one message to each channel following a topic the change
touches. Any replica may deliver; each (change, channel) is claimed once in the database."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.blocks import digest_blocks, digest_fallback
from bot.following import Followed, topic_key
from bot.services import Services
from retrieval.answers.quoting import best_sentence, excerpt
from retrieval.changes.following import TopicNews, topic_news
from retrieval.corpus.store import CorpusChange
from retrieval.models import utcnow

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


def digests_for(services: Services, change: CorpusChange, follows: list[Followed]) -> list[Digest]:
    """The digests one change would send, given what channels follow: a channel hears once,
    about every followed topic the change touches, and only of topics followed before it."""
    engine = services.answers
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
        if news[key] is not None:
            digest = digests.setdefault(follow.channel_id, Digest(follow.channel_id, change))
            digest.news.append(news[key])
    return list(digests.values())


def quoted(services: Services, news: TopicNews) -> list[dict[str, Any]]:
    """The topic's new passages as the blocks quote them (the answer's passage shape)."""
    engine = services.answers
    english = engine.english
    analysis = engine.analyse(news.topic)
    snapshot = engine.snapshot
    out = []
    for passage in news.new[:QUOTES_PER_TOPIC]:
        source = snapshot.sources[passage.source_id]
        key = best_sentence(passage.text, analysis)
        rendering = english.rendering(passage.content_hash) if english is not None else None
        out.append(
            {
                "text": passage.text,
                "excerpt": excerpt(passage.text, key),
                "highlight": key,
                "title": source.title,
                "url": source.url,
                "outlet": source.outlet,
                "author": source.author,
                "tier": source.tier,
                "published": source.published.isoformat() if source.published else None,
                "english": rendering.english if rendering is not None else None,
                "english_checked": rendering.checked if rendering is not None else None,
            }
        )
    return out


def pending_digests(services: Services) -> dict[int, list[Digest]]:
    """Digests of recent changes that the served corpus already includes, by version (a
    version that touches no followed topic has none)."""
    served = services.answers.snapshot.version
    follows = services.subscriptions.following()
    if not follows:
        return {}
    pending = {}
    for version in services.store.changes_since(utcnow() - DIGEST_WINDOW):
        if (KIND, version) in services.notifications.settled or version > served:
            continue
        change = services.store.change(version)
        if change is not None:
            pending[version] = digests_for(services, change, follows)
    return pending


def deliver_digests(services: Services, client: WebClient) -> list[Digest]:
    """Post what is pending and not yet claimed; returns the digests this process posted."""
    posted = []
    notifications = services.notifications
    pending = pending_digests(services)
    for digest in (d for digests in pending.values() for d in digests):
        version, channel = digest.change.version, digest.channel_id
        if not notifications.claim(KIND, version, channel):
            continue
        try:
            quotes = [(n, quoted(services, n)) for n in digest.news]
            blocks = digest_blocks(digest.change, quotes, services.translations is not None)
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
