"""A channel's digest of a corpus change, per followed topic it touches."""

from __future__ import annotations

from bot.blocks.base import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    Block,
    byline,
    context,
    date_text,
    section,
    titled,
)
from bot.blocks.quotes import MT_NOTE, english_text, quote_text
from bot.text import escape_mrkdwn, truncate
from retrieval.answers.payload import QuotedPassage
from retrieval.changes.news import TopicNews
from retrieval.corpus.store import CorpusChange, SourceInfo


def _source_line(source: SourceInfo, what: str) -> str:
    linked, who = titled(source.title, source.url), byline(source.outlet, source.author)
    tier = f" ({source.tier})" if source.tier else ""
    return f"{what}: {linked} — {who}, {date_text(source.published)}{tier}"


def digest_blocks(
    change: CorpusChange,
    topics: list[tuple[TopicNews, list[QuotedPassage]]],
    translations_on: bool,
) -> list[Block]:
    """One channel's digest of a corpus change: per followed topic it touches, what it does
    to the picture, the sources, the new passages quoted (English under them) and what left."""
    names = ", ".join(f"*{escape_mrkdwn(n.topic)}*" for n, _ in topics)
    blocks: list[Block] = [section(f":newspaper: *The sources changed* on {names}")]
    for news, quotes in topics:
        lines = [f"*{escape_mrkdwn(news.topic)}*"]
        lines += [f"• {escape_mrkdwn(said)}" for said in news.picture]
        for source in news.sources:
            what = "Updated source" if source.id in change.changed else "New source"
            lines.append(_source_line(source, what))
        blocks.append(section("\n".join(lines)))
        for passage in quotes:
            rendering = english_text(passage, translations_on)
            english_part = f"\n{rendering}" if rendering else ""
            budget = SECTION_LIMIT - len(english_part)
            blocks.append(section(truncate(quote_text(passage), budget) + english_part))
        if len(news.new) > len(quotes):
            blocks.append(context(f"…and {len(news.new) - len(quotes)} more new passage(s)"))
    unfollow = escape_mrkdwn(topics[0][0].topic) if topics else "<topic>"
    shown_english = any(p.get("english") for _, quotes in topics for p in quotes)
    mt = f" · {MT_NOTE}" if shown_english else ""
    blocks.append(
        context(
            f"Corpus version {change.version} · this channel follows these topics"
            f" · `/rumor unfollow {unfollow}` to stop{mt}"
        )
    )
    return blocks[:MAX_BLOCKS]


def digest_fallback(news: list[TopicNews]) -> str:
    return escape_mrkdwn("The sources changed on " + ", ".join(n.topic for n in news))
