"""The App Home tab."""

from __future__ import annotations

from bot.blocks.base import LABEL_BADGE, Block, byline, context, date_text, section, strong
from bot.store.answers import AskedQuestion
from bot.text import escape_mrkdwn, truncate
from retrieval.corpus.store import SourceInfo, VersionInfo

MAX_HOME_BLOCKS = 100  # a view's cap
HOME_SOURCES = 40


def home_blocks(
    version: VersionInfo | None,
    sources: list[SourceInfo],
    followed: dict[str, list[str]] | None,
    asked: list[AskedQuestion],
) -> list[Block]:
    """The App Home tab. `followed`: channel id → topics, of the user's channels (None when
    Slack would not list them)."""
    loaded = (
        f"{version.finished_at:%Y-%m-%d %H:%M UTC}" if version and version.finished_at else "never"
    )
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "rumorbot"}},
        section(
            "What is actually known about GPT-5 rumours, quoted from the sources. Mention me,"
            " DM me, or use `/rumor ask`; `/rumor help` lists the rest."
        ),
        context(
            f"Corpus version {version.id if version else '—'}, loaded {loaded}"
            f" · {len(sources)} sources"
        ),
        {"type": "divider"},
        section("*Sources*"),
    ]
    for s in sources[:HOME_SOURCES]:
        who = byline(s.outlet, s.author)
        title = escape_mrkdwn(truncate(s.title, 150))
        blocks.append(
            context(
                f"{strong(title)} — {who} · {date_text(s.published)} · {s.tier or 'unclassified'}"
            )
        )
    if len(sources) > HOME_SOURCES:
        blocks.append(context(f"…and {len(sources) - HOME_SOURCES} more: `/rumor sources`"))
    blocks += [{"type": "divider"}, section("*Topics followed in your channels*")]
    if followed is None:
        blocks.append(context("Slack did not list your channels (the app needs channels:read)."))
    for channel, topics in list((followed or {}).items())[:20]:
        listed = ", ".join(escape_mrkdwn(t) for t in topics)
        blocks.append(context(f"<#{escape_mrkdwn(channel)}>: {listed}"))
    if followed == {}:
        blocks.append(
            context(
                "None yet. In a channel, `/rumor follow Orion` posts there when"
                " the sources on Orion change."
            )
        )
    blocks += [{"type": "divider"}, section("*Your last questions*")]
    for q in asked:
        badge = LABEL_BADGE.get(q.confidence, q.confidence)
        question = escape_mrkdwn(truncate(q.question, 200))
        blocks.append(context(f"{badge} · {question} · {q.asked_at:%Y-%m-%d}"))
    if not asked:
        blocks.append(context("None yet: ask me anything about GPT-5 rumours."))
    return blocks[:MAX_HOME_BLOCKS]
