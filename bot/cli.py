"""The `rumorbot` command line: parse arguments, build settings and services, run one command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path

from bot.blocks import MT_NOTE, PENDING_NOTE, UNCHECKED_NOTE, as_of_text
from bot.services import Services, build_services
from bot.settings import Settings
from bot.text import clean_text
from retrieval.answers.answer import Answer, Quote
from retrieval.corpus.ingest import IngestError, IngestReport
from retrieval.corpus.store import SourceInfo, VersionInfo
from retrieval.evaluation import evaluate, load_questions
from retrieval.index import IndexBuildError
from retrieval.lexical import has_cjk

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


def format_sources(
    sources: list[SourceInfo], version: VersionInfo | None, english: dict[str, str] | None = None
) -> str:
    if not sources:
        return "The corpus is empty: run `rumorbot ingest`."
    lines = []
    for s in sources:
        who = " / ".join(x for x in (s.outlet, s.author) if x) or "unknown outlet"
        when = _when(s.published)
        title = s.title
        if english and s.id in english:
            title += f"\n  EN: {english[s.id]}"
        lines.append(
            f"{s.id}\n  {title}\n  {who} · {when} · {s.kind or 'unknown kind'}"
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
    sources = services.store.sources()
    english = services.english_titles(sources)
    print(format_sources(sources, services.store.current_version(), english))
    return 0


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


def _when(published: date | None) -> str:
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
        lines.append(f"[{cited[quote.source_file]}] {text} ({_when(quote.published)}{older})")
        if english:
            lines.extend(_english_lines(quote, answer.translations))
        lines.append("")
    sources = {quote.source_file: quote for quote in reversed(shown)}
    for file, quote in sorted(sources.items(), key=lambda item: cited[item[0]]):
        number = cited[file]
        who = " / ".join(x for x in (quote.outlet, quote.author) if x)
        link = f" <{quote.url}>" if quote.url else ""
        when = _when(quote.published)
        lines.append(f"  [{number}] {quote.title} — {who}, {when} ({quote.tier}){link}")
    note = f" Note: {answer.span_note}." if answer.span_note else ""
    lines.append(f"Corpus version {answer.corpus_version}; {as_of_text(answer.to_json())}.{note}")
    if english and any(q.english for q in shown):
        lines.append(f"{MT_NOTE}.")
    return "\n".join(lines)


def _start_engine(services: Services) -> bool:
    try:
        services.answers.start(triggered_by="cli")
    except (IngestError, IndexBuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def cmd_ask(services: Services, args: argparse.Namespace) -> int:
    if args.question:
        questions = [" ".join(args.question)]
    elif args.json:
        questions = None  # one per line from stdin, answered as they arrive
    else:
        print("error: give a question, or --json to read questions from stdin", file=sys.stderr)
        return 2
    if not _start_engine(services):
        return 1
    stream = questions if questions is not None else (ln.rstrip("\n") for ln in sys.stdin)
    for question in stream:
        if not question.strip():
            continue
        answer = services.answers.ask(clean_text(question))
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(format_answer(answer))
    return 0


def cmd_eval(services: Services, args: argparse.Namespace) -> int:
    try:
        questions = load_questions(args.file)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not _start_engine(services):
        return 1
    report = evaluate(questions, services.answers.ask)
    metrics = report.metrics()
    if args.json:
        print(
            json.dumps(
                {**metrics, "labels": report.labels, "rows": report.rows}, ensure_ascii=False
            )
        )
        return 0
    for row in report.rows:
        mark = (
            "-" if not row["answerable"] else (row["rank"] + 1 if row["rank"] is not None else "x")
        )
        print(f"  {mark!s:>2} {row['confidence']:<6} {row['question']}")
    print(
        f"R@1 {metrics['R@1']:.2f}  R@3 {metrics['R@3']:.2f}  R@5 {metrics['R@5']:.2f}"
        f"  MRR {metrics['MRR']:.2f}  over {metrics['answerable']} answerable"
    )
    print(
        f"unanswerable labelled low/none: {metrics['unanswerable_labelled_low_or_none']}"
        f"/{metrics['unanswerable']}  overconfident: {metrics['overconfident']}"
        f"  labels: {report.labels}"
    )
    print(
        f"right first quote: {metrics['right_first']}, of them labelled low/none:"
        f" {metrics['right_first_labelled_low_or_none']}; key sentence holds the gold string:"
        f" {metrics['key_sentence_share']:.2f}"
    )
    print(
        f"credibility: answers resting on one analysis/retelling: "
        f"{metrics['weak_single_support_labels'] or 'none'}; of {metrics['high_answers']} high"
        f" answers, still high with only one analysis: "
        f"{metrics['still_high_if_only_one_analysis']}, with only one retelling: "
        f"{metrics['still_high_if_only_one_retelling']}"
    )
    return 0


def cmd_timeline(services: Services, args: argparse.Namespace) -> int:
    topic = clean_text(" ".join(args.topic))
    if not topic:
        print("error: give a topic, e.g. rumorbot timeline Orion", file=sys.stderr)
        return 2
    if not _start_engine(services):
        return 1
    entries = services.answers.timeline(topic)
    if args.json:
        print(
            json.dumps(
                {"topic": topic, "entries": [e.to_json() for e in entries]}, ensure_ascii=False
            )
        )
        return 0
    if not entries:
        print(f"Nothing in the corpus is about {topic!r}.")
    for e in entries:
        when = e.published.isoformat() if e.published else "date unknown"
        print(f"{when:<12} {e.outlet or e.title} ({e.tier})\n             {e.quote}")
    return 0


def cmd_follow(services: Services, args: argparse.Namespace) -> int:
    from bot.digests import KIND, digests_for, quoted

    if not args.dry_run:
        print("digests are sent by `rumorbot serve`; --dry-run shows them", file=sys.stderr)
        return 2
    change = services.store.change(args.version)
    if change is None:
        print(
            "No corpus change recorded" + (f" as version {args.version}." if args.version else ".")
        )
        return 1
    if not _start_engine(services):
        return 1
    what = ", ".join(
        f"{label} {' '.join(names)}"
        for label, names in (
            ("added", change.added),
            ("changed", change.changed),
            ("removed", change.removed),
        )
        if names
    )
    print(f"Corpus version {change.version}: {what}")
    digests = digests_for(services, change, services.subscriptions.following())
    if not digests:
        print("No followed topic is touched: no channel would hear about it.")
    for digest in digests:
        status = services.notifications.status(KIND, change.version, digest.channel_id)
        print(f"\n→ channel {digest.channel_id} ({status or 'not sent'})")
        for news in digest.news:
            print(f"  {news.topic}")
            for said in news.picture:
                print(f"    • {said}")
            for source in news.sources:
                who, when = source.outlet or "unknown outlet", _when(source.published)
                print(f"    source: {source.title} — {who}, {when} ({source.tier})")
            for passage in quoted(services, news):
                print(f"    > {passage['excerpt'] or passage['text']}")
                if passage["english"]:
                    print(f"      {passage['english']}")
    return 0


def cmd_recheck(services: Services, args: argparse.Namespace) -> int:
    from bot.corrections import PACE_SECONDS, correct, plan_recheck
    from retrieval.changes.recheck import describe_source

    if not args.dry_run and not services.settings.recheck:
        print("RUMORBOT_RECHECK is off: past answers are not edited", file=sys.stderr)
        return 2
    if not _start_engine(services):
        return 1
    version = services.answers.snapshot.version
    plan = plan_recheck(services, version)
    days = services.settings.recheck_days
    print(f"Corpus version {version}, answers of the last {days} days: {plan.summary()}")
    for correction in plan.corrections:
        logged, revision = correction.logged, correction.revision
        print(f"\n#{logged.id} in {logged.channel_id}: “{logged.question}”")
        print(f"  {revision.was} → {revision.now}: {revision.answer['reason']}")
        for sign, passages in (("+", revision.new), ("-", revision.gone)):
            for passage in passages:
                print(f"  {sign} {describe_source(passage)}: {passage['text'][:60]}…")
    if args.dry_run or not plan.corrections:
        return 0
    token = services.settings.slack_bot_token
    if token is None:
        print("error: SLACK_BOT_TOKEN is not set; --dry-run needs none", file=sys.stderr)
        return 2
    from slack_sdk import WebClient

    from bot.app import configure_client

    client = WebClient(token=token.get_secret_value())
    configure_client(client, services.settings)
    made = 0
    for correction in plan.corrections:
        if correct(services, client, correction, version):
            made += 1
            time.sleep(PACE_SECONDS)
    print(f"\n{made} of {len(plan.corrections)} corrected (the others: see the log).")
    return 0


def cmd_gaps(services: Services, args: argparse.Namespace) -> int:
    from bot.gaps import gaps_of

    if not _start_engine(services):
        return 1
    gaps = gaps_of(services, args.days)
    if args.json:
        for gap in gaps:
            print(json.dumps(asdict(gap) | {"last_asked": gap.last_asked.isoformat()}))
        return 0
    if not gaps:
        print(f"No question of the last {args.days} days was answered low or none or downvoted.")
    for n, gap in enumerate(gaps, 1):
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(gap.reasons.items()))
        print(f"{n}. {gap.size} question(s), last asked {gap.last_asked:%Y-%m-%d}", end="")
        print(f"; downvoted: {reasons}" if reasons else "")
        for question in gap.examples:
            print(f"   “{question}”")
        print(f"   nearest source: {gap.nearest or 'none'}")
    return 0


def cmd_setup_model(services: Services, args: argparse.Namespace) -> int:
    from retrieval.translation.model import TranslatorModelError

    started = time.perf_counter()
    embedder = services.embedder
    services.expander.reverse  # noqa: B018 - builds and caches the CC-CEDICT index beside it
    print(
        f"{embedder.model_id} and the CC-CEDICT index: ready under {services.settings.model_dir}"
        f" ({time.perf_counter() - started:.1f} s)"
    )
    started = time.perf_counter()
    try:
        # Joins and verifies the translator's model file (once); loads nothing.
        translator = services.translator()
    except TranslatorModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if translator is not None:
        print(
            f"translator {translator.translator_id}: ready ({time.perf_counter() - started:.1f} s)"
        )
    return 0


def cmd_translate(services: Services, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from retrieval.translation.model import TranslatorModelError
    from retrieval.translation.worker import translate_in_parallel

    store = services.translations
    if store is None:
        print("English renderings are off (RUMORBOT_TRANSLATOR=off).", file=sys.stderr)
        return 0
    if services.store.current_version() is None:
        services.ingestor.ingest(services.settings.corpus_dir, triggered_by="cli")
    jobs = services.translation_jobs()
    already = len(store.done([j.content_hash for j in jobs]))
    bar = tqdm(total=len(jobs), initial=already, unit="text", file=sys.stderr, disable=args.quiet)

    def progress(number: int, total: int, job) -> None:
        bar.update(1)
        bar.set_postfix_str(job.what, refresh=True)

    try:
        summary = translate_in_parallel(
            store,
            services.translator,  # type: ignore[arg-type]
            jobs,
            services.settings.translator_workers,
            progress=progress,
            wait_for_others=True,
        )
    except TranslatorModelError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bar.close()
    print(f"{store.translator_id}: {summary.line()}")
    return 1 if summary.failed else 0


def cmd_serve(services: Services, args: argparse.Namespace) -> int:
    from bot.app import ConfigurationError
    from bot.server import RumorServer

    settings = services.settings
    socket_mode = args.socket or settings.slack_app_token is not None
    port = args.port or settings.port
    try:
        RumorServer(services, port=port, socket_mode=socket_mode, host=args.host).run()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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

    ask = sub.add_parser("ask", help="answer a question from the corpus")
    ask.add_argument("question", nargs="*", help="the question (omit with --json to read stdin)")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="score a question file (../shared/eval/dev.jsonl format)")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true", help="metrics and per-question rows as JSON")
    ev.set_defaults(func=cmd_eval)

    timeline = sub.add_parser("timeline", help="a topic's passages in order of publication")
    timeline.add_argument("topic", nargs="+", help='e.g. "Opus 3.5", Orion, gpt2-chatbot')
    timeline.add_argument("--json", action="store_true", help="machine-readable")
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


if __name__ == "__main__":
    raise SystemExit(main())
