"""The `rumorbot` command line: parse arguments, build settings and services, run one command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.services import Services, build_services
from bot.settings import Settings
from retrieval.ingest import IngestError, IngestReport
from retrieval.store import SourceInfo, VersionInfo

log = logging.getLogger("rumorbot")


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)
    else:
        print(message, file=sys.stderr, flush=True)


def _end_progress() -> None:
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


def format_sources(sources: list[SourceInfo], version: VersionInfo | None) -> str:
    if not sources:
        return "The corpus is empty: run `rumorbot ingest`."
    lines = []
    for s in sources:
        who = " / ".join(x for x in (s.outlet, s.author) if x) or "unknown outlet"
        when = s.published.isoformat() if s.published else "undated"
        lines.append(
            f"{s.id}\n  {s.title}\n  {who} · {when} · {s.kind or 'unknown kind'}"
            f" · {s.passage_count} passages"
        )
    if version:
        stamp = version.finished_at.strftime("%Y-%m-%d %H:%M UTC") if version.finished_at else "?"
        lines.append(f"Corpus version {version.id}, ingested {stamp}.")
    return "\n".join(lines)


def cmd_ingest(services: Services, args: argparse.Namespace) -> int:
    corpus = args.corpus or services.settings.corpus_dir
    try:
        report = services.ingestor.ingest(corpus, triggered_by="cli", progress=_progress)
    except IngestError as exc:
        _end_progress()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _end_progress()
    print(format_ingest_report(report))
    return 0


def cmd_sources(services: Services, args: argparse.Namespace) -> int:
    print(format_sources(services.store.sources(), services.store.current_version()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rumorbot", description="What is actually known about GPT-5 rumours, from the sources."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="load the corpus directory into the database")
    ingest.add_argument("--corpus", type=Path, help="corpus directory (default: ./corpus)")
    ingest.set_defaults(func=cmd_ingest)

    sources = sub.add_parser("sources", help="list the sources and the corpus version")
    sources.set_defaults(func=cmd_sources)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # jieba and the model libraries are chatty at INFO.
    for noisy in ("jieba", "sentence_transformers", "httpx", "alembic", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        services = build_services(settings)
    except Exception as exc:  # boundary: a broken database URL, say
        log.debug("start-up failed", exc_info=True)
        print(f"error: could not start: {exc}", file=sys.stderr)
        return 1
    return args.func(services, args)


if __name__ == "__main__":
    raise SystemExit(main())
