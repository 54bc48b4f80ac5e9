"""The `rumorbot` entry point: parse arguments, build settings and services, run one command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.commands import (
    cmd_add,
    cmd_ask,
    cmd_eval,
    cmd_export_corpus,
    cmd_follow,
    cmd_gaps,
    cmd_ingest,
    cmd_recheck,
    cmd_remove,
    cmd_serve,
    cmd_setup_model,
    cmd_sources,
    cmd_timeline,
    cmd_translate,
)
from bot.services import build_services
from bot.settings import Settings

log = logging.getLogger("rumorbot")


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

    add = sub.add_parser("add", help="add an article by its link (or a .txt/.md/.html file)")
    add.add_argument("link", nargs="?", help="the article's URL")
    add.add_argument("--file", type=Path, help="a file instead of a link")
    add.set_defaults(func=cmd_add)

    remove = sub.add_parser("remove", help="take a source out of the corpus")
    remove.add_argument("source", help="its file name, or a part of its title")
    remove.set_defaults(func=cmd_remove)

    export = sub.add_parser(
        "export-corpus", help="write the sources added from Slack into DIR, in the corpus format"
    )
    export.add_argument("directory", type=Path)
    export.set_defaults(func=cmd_export_corpus)

    ask = sub.add_parser("ask", help="answer a question from the corpus")
    ask.add_argument("question", nargs="*", help="the question (omit with --json to read stdin)")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument(
        "--wait-english",
        type=float,
        default=0,
        metavar="SECONDS",
        help="translate the shown quotes that have no English yet, waiting at most SECONDS",
    )
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="score a question file (../shared/eval/dev.jsonl format)")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true", help="metrics and per-question rows as JSON")
    ev.set_defaults(func=cmd_eval)

    timeline = sub.add_parser("timeline", help="a topic's passages in order of publication")
    timeline.add_argument("topic", nargs="+", help='e.g. "Opus 3.5", Orion, gpt2-chatbot')
    timeline.add_argument("--json", action="store_true", help="machine-readable")
    timeline.add_argument(
        "--png", type=Path, metavar="FILE", help="also draw it as a picture into FILE"
    )
    timeline.add_argument(
        "--wait-english",
        type=float,
        metavar="SECONDS",
        default=0,
        help="first translate its passages that have no English yet, for at most SECONDS",
    )
    timeline.set_defaults(func=cmd_timeline)

    follow = sub.add_parser("follow", help="the digests a corpus change sends to channels")
    follow.add_argument("--dry-run", action="store_true", help="print them; send nothing")
    follow.add_argument("--version", type=int, help="that corpus change (default: the last)")
    follow.set_defaults(func=cmd_follow)

    recheck = sub.add_parser(
        "recheck", help="correct past answers that the last corpus change altered, in Slack"
    )
    recheck.add_argument("--dry-run", action="store_true", help="print them; touch no message")
    recheck.set_defaults(func=cmd_recheck)

    gaps = sub.add_parser("gaps", help="what the corpus lacks: weak answers grouped by meaning")
    gaps.add_argument("--days", type=int, default=30, help="how far back (default: 30)")
    gaps.add_argument("--json", action="store_true", help="one JSON object per group")
    gaps.set_defaults(func=cmd_gaps)

    serve = sub.add_parser("serve", help="run the Slack app (HTTP, or Socket Mode)")
    serve.add_argument("--port", type=int, help="HTTP port (default: $PORT, else 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve.add_argument("--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN)")
    serve.set_defaults(func=cmd_serve)

    translate = sub.add_parser(
        "translate", help="make the English renderings that are missing (resumable)"
    )
    translate.add_argument("--quiet", action="store_true", help="no progress bar")
    translate.add_argument(
        "--check",
        type=Path,
        metavar="FILE",
        help='run the guard on JSON lines {"chinese": …, "english": …}; print a verdict per line',
    )
    translate.set_defaults(func=cmd_translate)

    model = sub.add_parser("setup-model", help="convert and load the embedding model once")
    model.set_defaults(func=cmd_setup_model)
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
    for noisy in ("jieba", "sentence_transformers", "httpx", "alembic", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        services = build_services(settings)
    except Exception as exc:  # boundary: a broken database URL, say
        log.debug("start-up failed", exc_info=True)
        print(f"error: could not start: {exc}", file=sys.stderr)
        return 1
    return args.func(services, args)
