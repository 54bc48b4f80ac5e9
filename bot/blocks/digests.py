"""A channel's digest of a corpus change, per followed topic it touches."""

from __future__ import annotations

from bot.blocks.base import MAX_BLOCKS, Block, byline, context, date_text, section, strong, titled
from bot.blocks.quotes import MT_NOTE, quote_block
from bot.text import escape_mrkdwn
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
    names = ", ".join(strong(escape_mrkdwn(n.topic)) for n, _ in topics)
    blocks: list[Block] = [section(f":newspaper: *The sources changed* on {names}")]
    for news, quotes in topics:
        lines = [strong(escape_mrkdwn(news.topic))]
        lines += [f"• {escape_mrkdwn(said)}" for said in news.picture]
        for source in news.sources:
            what = "Updated source" if source.id in change.changed else "New source"
            lines.append(_source_line(source, what))
        blocks.append(section("\n".join(lines)))
        blocks += [
            quote_block(passage, english=True, translations_on=translations_on)
            for passage in quotes
        ]
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
