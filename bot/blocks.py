"""Block Kit rendering of answers, listings and help. Every untrusted string is escaped here."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.records import FEEDBACK_REASONS, MAX_COMMENT_CHARS, AskedQuestion, Stats
from bot.text import escape_mrkdwn, truncate
from retrieval.answers.answer import SHOWN_QUOTES, citation_numbers
from retrieval.answers.timeline import TimelineEntry
from retrieval.changes.following import TopicNews
from retrieval.changes.recheck import Revision
from retrieval.corpus.ingest import IngestReport
from retrieval.corpus.store import CorpusChange, SourceInfo, VersionInfo
from retrieval.lexical import has_cjk

if TYPE_CHECKING:
    from bot.gaps import Gap

Block = dict[str, Any]
SECTION_LIMIT = 3000  # Slack's cap on a section's text
MAX_BLOCKS = 50
MAX_GAPS = 10  # groups shown in Slack (the CLI lists all)
MAX_HOME_BLOCKS = 100  # a view's cap
HOME_SOURCES = 40

LABEL_BADGE = {
    "high": ":large_green_circle: *High confidence*",
    "medium": ":large_yellow_circle: *Medium confidence*",
    "low": ":large_orange_circle: *Low confidence*",
    "none": ":white_circle: *Not in the sources*",
}
KIND_TIER = {"report": "report", "analysis": "analysis", "transcript": "retelling"}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 2000)}]}


def _date(value: str | date | None) -> str:
    if not value:
        return "undated"
    return value if isinstance(value, str) else value.isoformat()


def _titled(title: str, url: str | None) -> str:
    """A source's title, escaped: linked when it has a URL, else in bold."""
    safe = escape_mrkdwn(title)
    # A URL from our own corpus, but still: no "|" or ">" may end the link early.
    return f"<{escape_mrkdwn(url).replace('|', '%7C')}|{safe}>" if url else f"*{safe}*"


def _byline(outlet: str | None, author: str | None) -> str:
    return " / ".join(escape_mrkdwn(x) for x in (outlet, author) if x) or "unknown outlet"


def citation(number: int, passage: dict[str, Any]) -> str:
    linked = _titled(passage["title"], passage.get("url"))
    who = _byline(passage.get("outlet"), passage.get("author"))
    kind = passage.get("tier") or KIND_TIER.get(passage.get("kind") or "", "source")
    when = _date(passage.get("published"))
    return f"[{number}] {linked} — {who}, {when} ({kind})"


def quote_text(passage: dict[str, Any]) -> str:
    """The passage (or the excerpt shown of it) as a Slack quote, its key sentence in bold."""
    text, highlight = passage.get("excerpt") or passage["text"], passage.get("highlight") or ""
    if highlight and highlight in text:
        before, _, after = text.partition(highlight)
        body = f"{escape_mrkdwn(before)}*{escape_mrkdwn(highlight).strip()}*{escape_mrkdwn(after)}"
    else:
        body = escape_mrkdwn(text)
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.split("\n"))


MT_NOTE = "English: machine translation, may contain errors"
UNCHECKED_NOTE = "unchecked: a number, name or negation may have been lost in translation"
PENDING_NOTE = "(English translation pending)"
ENGLISH_BUDGET = 1500  # characters of English under one quote, cut at a sentence end


def cut_at_sentence(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a sentence end (else a word end), never
    mid-word: a cut rendering must not read as if it said something else."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    ends = [m.end() for m in re.finditer(r"[.!?][\"”’)]?(?=\s)", head)]
    if ends and ends[-1] >= limit // 4:  # a sentence end not too early, else a word end
        return head[: ends[-1]] + " …"
    return head[: head.rfind(" ")].rstrip(",;: ") + " …" if " " in head else head + "…"


def english_text(passage: dict[str, Any], translations_on: bool) -> str | None:
    """The rendering under a quote, in italics, its key sentence in bold too; None when
    there is nothing to say (translation off)."""
    english = passage.get("english")
    if not english:
        return f"_{PENDING_NOTE}_" if translations_on else None
    english = cut_at_sentence(english, ENGLISH_BUDGET)
    key = (passage.get("english_highlight") or "").strip()
    body = escape_mrkdwn(english)
    if key and key in english:
        before, _, after = english.partition(key)
        body = f"{escape_mrkdwn(before)}*{escape_mrkdwn(key)}*{escape_mrkdwn(after)}"
    # Slack's italics end at a line break; renderings are one paragraph.
    line = "_" + " ".join(body.split()) + "_"
    if passage.get("english_checked") is False:
        line += f"\n:warning: _{UNCHECKED_NOTE}_"
    return line


def wants_english(answer: dict[str, Any]) -> bool:
    """English under the quotes for a question in any language but Chinese."""
    return not has_cjk(answer.get("question", ""))


def as_of_text(answer: dict[str, Any]) -> str:
    if answer.get("as_of"):
        return f"as of {answer['as_of']}"
    return "the quoted sources are undated" if answer["passages"] else "nothing quoted"


def shown_passages(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The quotes shown, best first."""
    return answer["passages"][:SHOWN_QUOTES]


def citation_numbers_of(passages: list[dict[str, Any]]) -> list[int]:
    """Each passage's citation number: as stored with the answer, or (answers logged before
    numbers were stored) numbered here, one per source in order of first quote."""
    numbers = citation_numbers(p["source_file"] for p in passages)
    return [p.get("citation") or numbers[p["source_file"]] for p in passages]


def answer_blocks(
    answer: dict[str, Any],
    answer_id: int | None = None,
    shareable: bool = False,
    english: bool | None = None,
) -> list[Block]:
    """The answer as Block Kit. `english`: show the renderings under the quotes (default: for
    questions not asked in Chinese); a Chinese answer offers a button to show them."""
    show_english = wants_english(answer) if english is None else english
    translations_on = answer.get("translations") == "on"
    question = escape_mrkdwn(truncate(answer["question"], 300))
    badge = LABEL_BADGE.get(answer["confidence"], answer["confidence"])
    blocks: list[Block] = [
        _section(f"{badge} — {escape_mrkdwn(answer['reason'])}\n*Q:* {question}"),
    ]
    if answer.get("checked"):
        # A checked message: what was checked first, so the thread reads as a verdict on it.
        checked = f":mag: Checking: “{escape_mrkdwn(answer['checked'])}”"
        if answer.get("checked_sentence"):
            sentence = escape_mrkdwn(truncate(answer["checked_sentence"], 200))
            checked += f"\nChecked by its sentence that best matches the sources: “{sentence}”"
        blocks.insert(0, _context(checked))
    if answer.get("receipt"):
        # Kept with the answer, so a language toggle or a share shows it too.
        blocks.insert(0, _context(f":arrows_counterclockwise: {escape_mrkdwn(answer['receipt'])}"))
    if answer.get("context"):
        topic = escape_mrkdwn(truncate(answer["context"], 100))
        blocks.append(_context(f":thread: Taking “{topic}” from earlier in this thread"))
    if answer.get("newest"):
        blocks.append(_context(f":calendar: {escape_mrkdwn(answer['newest'])}"))
    passages = shown_passages(answer)
    if not passages:
        blocks.append(
            _section(
                "No passage in the corpus answers this. Try `/rumor sources` to see what it covers."
            )
        )
    numbers = citation_numbers_of(passages)
    for number, passage in zip(numbers, passages, strict=True):
        rendering = english_text(passage, translations_on) if show_english else None
        english_part = f"\n{rendering}" if rendering else ""
        # The date on every quote: quotes stay in order of relevance, not of time.
        older = " · _older_" if passage.get("older") else ""
        marker = f" [{number}] _{_date(passage.get('published'))}_{older}"
        budget = SECTION_LIMIT - len(marker) - len(english_part)
        blocks.append(_section(truncate(quote_text(passage), budget) + marker + english_part))
    if passages:
        blocks.append({"type": "divider"})
        # One line per source: its first quote's passage stands for it.
        sources = dict(reversed(list(zip(numbers, passages, strict=True))))
        blocks.append(_context("\n".join(citation(n, p) for n, p in sorted(sources.items()))))
    note = f" · {escape_mrkdwn(answer['span_note'])}" if answer.get("span_note") else ""
    has_english = any(p.get("english") for p in passages)
    mt = f" · {MT_NOTE}" if show_english and has_english else ""
    blocks.append(
        _context(f"Corpus version {answer.get('corpus_version')} · {as_of_text(answer)}{note}{mt}")
    )
    if answer_id is not None:
        elements: list[Block] = [
            _button("👍 Helpful", "feedback_up", answer_id),
            _button("👎 Not helpful", "feedback_down", answer_id),
        ]
        if shareable:
            elements.insert(0, _button("Share in channel", "share_answer", answer_id, "primary"))
        if has_english:
            # Asked in Chinese: English on request; asked otherwise: a way to Chinese only.
            if show_english:
                elements.append(_button("中文 only", "show_chinese", answer_id))
            else:
                elements.append(_button("Show in English", "show_english", answer_id))
        blocks.append({"type": "actions", "block_id": f"answer:{answer_id}", "elements": elements})
    return blocks[:MAX_BLOCKS]


def _button(label: str, action_id: str, answer_id: int, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": str(answer_id),
    }
    if style:
        button["style"] = style
    return button


def answer_fallback(answer: dict[str, Any]) -> str:
    """Notification text: plain, short, escaped."""
    return escape_mrkdwn(f"{answer['confidence']} confidence: {answer['reason']}")


def correction_reply(user_id: str, question: str, revision: Revision) -> str:
    """The one reply in an answer's thread that tells its asker the answer changed."""
    if revision.label_changed:
        what = revision.labels
    else:
        what = "new sources" if revision.new else "quoted passages changed"
    asked = escape_mrkdwn(truncate(question, 150))
    return f"<@{user_id}> the sources changed, so I updated my answer to “{asked}” above ({what})."


def sources_blocks(
    sources: list[SourceInfo],
    version: VersionInfo | None,
    last_reload: datetime | None,
    english: dict[str, str] | None = None,
) -> list[Block]:
    """The corpus listing; `english`: source id → English rendering of its title."""
    english = english or {}
    if not sources:
        return [_section("The corpus is empty. An admin can run `/rumor reload`.")]
    blocks: list[Block] = [_section(f"*{len(sources)} sources* in the corpus:")]
    for s in sources[: MAX_BLOCKS - 3]:
        title = _titled(s.title, s.url)
        who = _byline(s.outlet, s.author)
        if s.id in english:
            title += f"\n_{escape_mrkdwn(' '.join(english[s.id].split()))}_ (machine translation)"
        blocks.append(
            _section(
                f"{title}\n{who} · {_date(s.published)} · {s.kind or 'unclassified'}"
                f" · {s.passage_count} passages · `{escape_mrkdwn(s.id)}`"
            )
        )
    stamp = last_reload.strftime("%Y-%m-%d %H:%M UTC") if last_reload else "never"
    blocks.append(
        _context(f"Corpus version {version.id if version else '—'} · last reload {stamp}")
    )
    return blocks


def timeline_blocks(topic: str, entries: list[TimelineEntry]) -> list[Block]:
    safe_topic = escape_mrkdwn(truncate(topic, 200))
    if not entries:
        return [_section(f"Nothing in the corpus is about *{safe_topic}*.")]
    blocks: list[Block] = [_section(f"*Timeline: {safe_topic}* (oldest first; undated last)")]
    for e in entries[: MAX_BLOCKS - 2]:
        when = e.published.isoformat() if e.published else "_date unknown_"
        who = escape_mrkdwn(e.outlet or e.title)
        blocks.append(_section(f"*{when}* · {who} ({e.tier})\n> {escape_mrkdwn(e.quote)}"))
    return blocks


def help_blocks() -> list[Block]:
    return [
        _section(
            "*rumorbot* answers questions about GPT-5 rumours by quoting its sources, with a"
            " confidence label that says how well they support the answer."
        ),
        _section(
            "*Ask*\n• mention me: `@rumorbot why was Opus 3.5 not released?`\n"
            "• or DM me a question, in English or Chinese: `Orion 为什么失败？`\n"
            "• or `/rumor ask has OpenAI started pretraining GPT-5?` (private, with a Share"
            " button)\n"
            "• or on any message: *⋮ → Check this rumour*, answered in its thread"
        ),
        _section(
            "*Other commands*\n• `/rumor sources`: what the corpus holds\n"
            "• `/rumor timeline Orion`: how a story moved, oldest report first\n"
            "• `/rumor follow Orion`: this channel hears when the sources on Orion change"
            " (`/rumor unfollow Orion`, `/rumor following`)\n"
            "• `/rumor mode auto`: answer every question in this channel without a mention"
            " (`/rumor mode mention` back, `/rumor mode` shows it; admins or the channel's"
            " creator)\n"
            "• `/rumor help`: this message\n"
            "• `/rumor reload`: re-read the corpus (admins)\n"
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


FEEDBACK_CALLBACK = "feedback_reason"


def feedback_modal(answer_id: int) -> Block:
    """What a 👎 opens: what was wrong (one choice) and an optional comment."""
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": key}
        for key, label in FEEDBACK_REASONS.items()
    ]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_CALLBACK,
        "private_metadata": str(answer_id),
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "The answer's problem"},
                "element": {"type": "radio_buttons", "action_id": "reason", "options": options},
            },
            {
                "type": "input",
                "block_id": "comment",
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything to add? (optional)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "comment",
                    "multiline": True,
                    "max_length": MAX_COMMENT_CHARS,
                },
            },
        ],
    }


def _source_line(source: SourceInfo, what: str) -> str:
    linked, who = _titled(source.title, source.url), _byline(source.outlet, source.author)
    tier = f" ({source.tier})" if source.tier else ""
    return f"{what}: {linked} — {who}, {_date(source.published)}{tier}"


def digest_blocks(
    change: CorpusChange,
    topics: list[tuple[TopicNews, list[dict[str, Any]]]],
    translations_on: bool,
) -> list[Block]:
    """One channel's digest of a corpus change: per followed topic it touches, what it does
    to the picture, the sources, the new passages quoted (English under them) and what left."""
    names = ", ".join(f"*{escape_mrkdwn(n.topic)}*" for n, _ in topics)
    blocks: list[Block] = [_section(f":newspaper: *The sources changed* on {names}")]
    for news, quotes in topics:
        lines = [f"*{escape_mrkdwn(news.topic)}*"]
        lines += [f"• {escape_mrkdwn(said)}" for said in news.picture]
        for source in news.sources:
            what = "Updated source" if source.id in change.changed else "New source"
            lines.append(_source_line(source, what))
        blocks.append(_section("\n".join(lines)))
        for passage in quotes:
            rendering = english_text(passage, translations_on)
            english_part = f"\n{rendering}" if rendering else ""
            budget = SECTION_LIMIT - len(english_part)
            blocks.append(_section(truncate(quote_text(passage), budget) + english_part))
        if len(news.new) > len(quotes):
            blocks.append(_context(f"…and {len(news.new) - len(quotes)} more new passage(s)"))
    unfollow = escape_mrkdwn(topics[0][0].topic) if topics else "<topic>"
    shown_english = any(p.get("english") for _, quotes in topics for p in quotes)
    mt = f" · {MT_NOTE}" if shown_english else ""
    blocks.append(
        _context(
            f"Corpus version {change.version} · this channel follows these topics"
            f" · `/rumor unfollow {unfollow}` to stop{mt}"
        )
    )
    return blocks[:MAX_BLOCKS]


def digest_fallback(news: list[TopicNews]) -> str:
    return escape_mrkdwn("The sources changed on " + ", ".join(n.topic for n in news))


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
        _section(
            "What is actually known about GPT-5 rumours, quoted from the sources. Mention me,"
            " DM me, or use `/rumor ask`; `/rumor help` lists the rest."
        ),
        _context(
            f"Corpus version {version.id if version else '—'}, loaded {loaded}"
            f" · {len(sources)} sources"
        ),
        {"type": "divider"},
        _section("*Sources*"),
    ]
    for s in sources[:HOME_SOURCES]:
        who = _byline(s.outlet, s.author)
        title = escape_mrkdwn(truncate(s.title, 150))
        blocks.append(
            _context(f"*{title}* — {who} · {_date(s.published)} · {s.tier or 'unclassified'}")
        )
    if len(sources) > HOME_SOURCES:
        blocks.append(_context(f"…and {len(sources) - HOME_SOURCES} more: `/rumor sources`"))
    blocks += [{"type": "divider"}, _section("*Topics followed in your channels*")]
    if followed is None:
        blocks.append(_context("Slack did not list your channels (the app needs channels:read)."))
    for channel, topics in list((followed or {}).items())[:20]:
        listed = ", ".join(escape_mrkdwn(t) for t in topics)
        blocks.append(_context(f"<#{escape_mrkdwn(channel)}>: {listed}"))
    if followed == {}:
        blocks.append(
            _context(
                "None yet. In a channel, `/rumor follow Orion` posts there when"
                " the sources on Orion change."
            )
        )
    blocks += [{"type": "divider"}, _section("*Your last questions*")]
    for q in asked:
        badge = LABEL_BADGE.get(q.confidence, q.confidence)
        question = escape_mrkdwn(truncate(q.question, 200))
        blocks.append(_context(f"{badge} · {question} · {q.asked_at:%Y-%m-%d}"))
    if not asked:
        blocks.append(_context("None yet: ask me anything about GPT-5 rumours."))
    return blocks[:MAX_HOME_BLOCKS]
