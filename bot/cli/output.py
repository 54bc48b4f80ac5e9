"""What the command line prints: ingest reports, the source list, answers as a person reads
them, and progress on stderr."""

from __future__ import annotations

import sys
from datetime import date

from bot.blocks import MT_NOTE, PENDING_NOTE, UNCHECKED_NOTE, as_of_text
from retrieval.answers.answer import Answer, Quote
from retrieval.corpus.ingest import IngestReport
from retrieval.corpus.store import SourceInfo, VersionInfo
from retrieval.text.tokens import has_cjk


def progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)
    else:
        print(message, file=sys.stderr, flush=True)


def end_progress() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def format_ingest_report(report: IngestReport) -> str:
    lines = []
    if report.has_changes:
        lines.append(f"Corpus version {report.version_id}:")
        for label, names in (
            ("added", report.added),
            ("changed", report.changed),
            ("removed", report.removed),
        ):
            for name in names:
                lines.append(f"  {label:<8} {name}")
        lines.append(
            f"  passages: +{report.passages_added} -{report.passages_removed}"
            f" → {report.passage_count} in {report.source_count} sources"
        )
    else:
        lines.append(
            f"No changes: {report.source_count} sources, {report.passage_count} passages"
            f" (ingest #{report.version_id})."
        )
    for item in report.skipped:
        lines.append(f"  skipped  {item.file}: {item.reason}")
    for warning in report.warnings:
        lines.append(f"  warning  {warning}")
    lines.append(f"Took {report.duration_s:.2f} s.")
    return "\n".join(lines)


def format_sources(
    sources: list[SourceInfo], version: VersionInfo | None, english: dict[str, str] | None = None
) -> str:
    if not sources:
        return "The corpus is empty: run `rumorbot ingest`."
    lines = []
    for s in sources:
        who = " / ".join(x for x in (s.outlet, s.author) if x) or "unknown outlet"
        when = date_text(s.published)
        title = s.title
        if english and s.id in english:
            title += f"\n  EN: {english[s.id]}"
        came = "" if s.added_via == "file" else f" · added from a {s.added_via}"
        came += f" by {s.added_by}" if s.added_by else ""
        lines.append(
            f"{s.id}\n  {title}\n  {who} · {when} · {s.kind or 'unknown kind'}"
            f" · {s.passage_count} passages{came}"
        )
    if version:
        stamp = version.finished_at.strftime("%Y-%m-%d %H:%M UTC") if version.finished_at else "?"
        lines.append(f"Corpus version {version.id}, ingested {stamp}.")
    return "\n".join(lines)


def _english_lines(quote: Quote, translations_on: bool) -> list[str]:
    if not quote.english:
        return [f"    {PENDING_NOTE}"] if translations_on else []
    english = quote.english
    if quote.english_highlight and quote.english_highlight in english:
        english = english.replace(quote.english_highlight, f"»{quote.english_highlight}«", 1)
    lines = [f"    EN: {english}"]
    if quote.english_checked is False:
        lines.append(f"    (warning: {UNCHECKED_NOTE})")
    return lines


def date_text(published: date | None) -> str:
    return published.isoformat() if published else "undated"


def format_answer(answer: Answer) -> str:
    lines = [f"[{answer.confidence.upper()}] {answer.reason}", ""]
    if answer.newest:
        lines[1:1] = [answer.newest]
    if not answer.quotes:
        lines.append("No passage in the corpus answers this.")
    shown = answer.shown()
    english = not has_cjk(answer.question)
    cited = answer.citations()
    for quote in shown:
        text = (quote.excerpt or quote.text).replace(quote.highlight, f"»{quote.highlight}«", 1)
        older = ", older" if quote.older else ""
        lines.append(f"[{cited[quote.source_file]}] {text} ({date_text(quote.published)}{older})")
        if english:
            lines.extend(_english_lines(quote, answer.translations))
        lines.append("")
    sources = {quote.source_file: quote for quote in reversed(shown)}
    for file, quote in sorted(sources.items(), key=lambda item: cited[item[0]]):
        number = cited[file]
        who = " / ".join(x for x in (quote.outlet, quote.author) if x)
        link = f" <{quote.url}>" if quote.url else ""
        when = date_text(quote.published)
        lines.append(f"  [{number}] {quote.title} — {who}, {when} ({quote.tier}){link}")
    note = f" Note: {answer.span_note}." if answer.span_note else ""
    lines.append(f"Corpus version {answer.corpus_version}; {as_of_text(answer.to_json())}.{note}")
    if english and any(q.english for q in shown):
        lines.append(f"{MT_NOTE}.")
    return "\n".join(lines)
