"""Lists and reports: the sources, a topic's timeline, help, reload reports, stats, gaps and
followed topics."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.blocks.base import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    Block,
    byline,
    context,
    date_text,
    section,
    strong,
    titled,
)
from bot.blocks.quotes import text_element
from bot.store.answers import FEEDBACK_REASONS, Stats
from bot.text import escape_mrkdwn, truncate
from retrieval.answers.timeline import TimelineEntry
from retrieval.corpus.ingest import IngestReport
from retrieval.corpus.store import SourceInfo, VersionInfo

if TYPE_CHECKING:
    from bot.store.gaps import Gap
MAX_GAPS = 10  # groups shown in Slack (the CLI lists all)


def sources_blocks(
    sources: list[SourceInfo],
    version: VersionInfo | None,
    last_reload: datetime | None,
    english: dict[str, str] | None = None,
) -> list[Block]:
    """The corpus listing; `english`: source id → English rendering of its title."""
    english = english or {}
    if not sources:
        return [section("The corpus is empty. An admin can run `/rumor reload`.")]
    blocks: list[Block] = [section(f"*{len(sources)} sources* in the corpus:")]
    for s in sources[: MAX_BLOCKS - 3]:
        title = titled(s.title, s.url)
        who = byline(s.outlet, s.author)
        if s.id in english:
            title += f"\n_{escape_mrkdwn(' '.join(english[s.id].split()))}_ (machine translation)"
        blocks.append(
            section(
                f"{title}\n{who} · {date_text(s.published)} · {s.kind or 'unclassified'}"
                f" · {s.passage_count} passages · `{escape_mrkdwn(s.id)}` · {came_from(s)}"
            )
        )
    stamp = last_reload.strftime("%Y-%m-%d %H:%M UTC") if last_reload else "never"
    blocks.append(context(f"Corpus version {version.id if version else '—'} · last reload {stamp}"))
    return blocks


def timeline_blocks(topic: str, entries: list[TimelineEntry]) -> list[Block]:
    safe_topic = strong(escape_mrkdwn(truncate(topic, 200)))
    if not entries:
        return [section(f"Nothing in the corpus is about {safe_topic}.")]
    blocks: list[Block] = [section(f"Timeline: {safe_topic} (oldest first; undated last)")]
    for e in entries[: MAX_BLOCKS - 2]:
        when = e.published.isoformat() if e.published else "date unknown"
        said = [
            text_element(when, bold=True),
            text_element(f" · {e.outlet or e.title} ({e.tier})"),
        ]
        blocks.append(
            {
                "type": "rich_text",
                "elements": [
                    {"type": "rich_text_section", "elements": said},
                    {"type": "rich_text_quote", "elements": [text_element(e.quote)]},
                ],
            }
        )
    return blocks


def help_blocks() -> list[Block]:
    return [
        section(
            "*rumorbot* answers questions about GPT-5 rumours by quoting its sources, with a"
            " confidence label that says how well they support the answer."
        ),
        section(
            "*Ask*\n• mention me: `@rumorbot why was Opus 3.5 not released?`\n"
            "• or DM me a question, in English or Chinese: `Orion 为什么失败？`\n"
            "• or `/rumor ask has OpenAI started pretraining GPT-5?` (private, with a Share"
            " button)\n"
            "• or on any message: *⋮ → Check this rumour*, answered in its thread"
        ),
        section(
            "*Other commands*\n• `/rumor sources`: what the corpus holds\n"
            "• `/rumor timeline Orion`: how a story moved, oldest report first\n"
            "• `/rumor follow Orion`: this channel hears when the sources on Orion change"
            " (`/rumor unfollow Orion`, `/rumor following`)\n"
            "• `/rumor mode auto`: answer every question in this channel without a mention"
            " (`/rumor mode mention` back, `/rumor mode` shows it; admins or the channel's"
            " creator)\n"
            "• `/rumor help`: this message\n"
            "• `/rumor reload`: re-read the corpus (admins)\n"
            "• `/rumor add <link> [report|analysis|transcript|commentary]`: add an article to"
            " the corpus; or share a .txt, .md or .html file with me in a DM (admins)\n"
            "• `/rumor remove <file name or part of the title>`: take a source out (admins)\n"
            "• `/rumor stats`: questions, labels and feedback (admins)\n"
            "• `/rumor gaps`: what the corpus lacks, from weak answers and 👎s (admins)"
        ),
    ]


def usage_hint() -> str:
    return (
        "Ask me a question about GPT-5 rumours, e.g. `why was Opus 3.5 not released?`"
        " (`/rumor help` for more)."
    )


def reload_report_text(report: IngestReport, served_version: int, duration_s: float) -> str:
    lines = [f"*Reload finished* in {duration_s:.1f} s: serving corpus version {served_version}."]
    for label, names in (
        ("Added", report.added),
        ("Changed", report.changed),
        ("Removed", report.removed),
    ):
        if names:
            lines.append(f"{label}: " + ", ".join(f"`{escape_mrkdwn(n)}`" for n in names))
    if not report.has_changes:
        lines.append("No source changed.")
    for item in report.skipped:
        lines.append(f"Skipped `{escape_mrkdwn(item.file)}`: {escape_mrkdwn(item.reason)}")
    for warning in report.warnings[:10]:
        lines.append(f"Warning: {escape_mrkdwn(warning)}")
    lines.append(f"{report.passage_count} passages in {report.source_count} sources.")
    return truncate("\n".join(lines), SECTION_LIMIT)


def added_text(source: SourceInfo, passages: int, served_version: int) -> str:
    """The private report of a source added from Slack: what it is, and what it brought."""
    who = byline(source.outlet, source.author)
    return (
        f":white_check_mark: *Added* {titled(source.title, source.url)} — {who},"
        f" {date_text(source.published)} ({source.tier or 'unclassified'}):"
        f" {passages} passages, `{escape_mrkdwn(source.id)}`. Serving corpus version"
        f" {served_version}; answers quote it from now on."
    )


def came_from(source: SourceInfo) -> str:
    """Where a source came from, for the listings: its file, or who added it how."""
    if source.added_via == "file":
        return "file in corpus/"
    how = "link" if source.added_via == "link" else "upload"
    return f"added from a {how} by <@{escape_mrkdwn(source.added_by)}>" if source.added_by else how


def remove_prompt(source: SourceInfo) -> list[Block]:
    """The confirmation a removal asks for: what goes, and two buttons."""
    what = (
        f"Remove {titled(source.title, source.url)} — {byline(source.outlet, source.author)},"
        f" {date_text(source.published)} ({source.passage_count} passages, {came_from(source)})"
        " from the corpus? Answers stop quoting it and channels following its topics hear it."
    )
    return [
        section(what),
        {
            "type": "actions",
            "block_id": "remove_source",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Remove"},
                    "style": "danger",
                    "action_id": REMOVE_ACTION,
                    "value": source.id,
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "action_id": CANCEL_REMOVE_ACTION,
                    "value": source.id,
                },
            ],
        },
    ]


REMOVE_ACTION = "remove_source"
CANCEL_REMOVE_ACTION = "cancel_remove_source"


def stats_text(stats: Stats) -> str:
    labels = ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_label.items())) or "none yet"
    text = (
        f"*Questions answered:* {stats.questions}\n*By label:* {labels}\n"
        f"*Feedback:* 👍 {stats.thumbs_up} · 👎 {stats.thumbs_down}"
    )
    if stats.reasons:
        said = sorted(stats.reasons.items(), key=lambda item: -item[1])
        text += "\n*👎 because:* " + ", ".join(
            f"{FEEDBACK_REASONS.get(k, k)}: {n}" for k, n in said
        )
    return text


def gaps_text(gaps: list[Gap], days: int) -> str:
    """For curators: what to add next, largest group of badly answered questions first."""
    if not gaps:
        return f"No question of the last {days} days was answered low or none or given a 👎."
    total = sum(g.size for g in gaps)
    lines = [
        f"*What the corpus lacks* (last {days} days): {total} question(s) answered low or none"
        f" or given a 👎, in {len(gaps)} group(s), largest first"
    ]
    for n, gap in enumerate(gaps[:MAX_GAPS], 1):
        reasons = ", ".join(
            f"{FEEDBACK_REASONS.get(k, k)} {v}" for k, v in sorted(gap.reasons.items())
        )
        lines.append(
            f"\n*{n}. {gap.size} question(s)* · last asked {gap.last_asked:%Y-%m-%d}"
            + (f" · 👎 {reasons}" if reasons else "")
        )
        lines += [f"• “{escape_mrkdwn(truncate(q, 150))}”" for q in gap.examples]
        nearest = escape_mrkdwn(gap.nearest) if gap.nearest else "none"
        lines.append(f"_Nearest source:_ {nearest}")
    return truncate("\n".join(lines), SECTION_LIMIT)


def following_text(topics: list[str]) -> str:
    if not topics:
        return (
            "This channel follows no topics. `/rumor follow Orion` posts here when the sources"
            " on Orion change."
        )
    listed = "\n".join(f"• {escape_mrkdwn(t)}" for t in topics)
    return (
        f"This channel follows {len(topics)} topic(s); it hears when a corpus change touches"
        f" one:\n{listed}\n`/rumor unfollow <topic>` to stop."
    )
