"""The `rumorbot` commands, one function each: services and parsed arguments in, exit code out."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path

from bot.blocks.answers import wants_english
from bot.cli.output import (
    date_text,
    end_progress,
    format_answer,
    format_ingest_report,
    format_sources,
    progress,
)
from bot.curation import add_file, add_link, find_sources
from bot.services import Services
from bot.text import clean_text
from retrieval.answers.answer import Answer
from retrieval.answers.evaluation import evaluate, load_questions
from retrieval.corpus.export import export_added
from retrieval.corpus.fetch import FetchRefused
from retrieval.corpus.ingest import IngestError, SourceRefused
from retrieval.index import IndexBuildError


def cmd_ingest(services: Services, args: argparse.Namespace) -> int:
    corpus = args.corpus or services.settings.corpus_dir
    try:
        report = services.ingestor.ingest(corpus, triggered_by="cli", progress=progress)
    except IngestError as exc:
        end_progress()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    end_progress()
    print(format_ingest_report(report))
    return 0


def cmd_sources(services: Services, args: argparse.Namespace) -> int:
    sources = services.store.sources()
    english = services.english_titles(sources)
    print(format_sources(sources, services.store.current_version(), english))
    return 0


def cmd_add(services: Services, args: argparse.Namespace) -> int:
    if bool(args.link) == bool(args.file):
        print("error: give a link or --file FILE", file=sys.stderr)
        return 2
    if not _start_engine(services):
        return 1
    try:
        if args.file:
            report = add_file(services, args.file.name, args.file.read_bytes(), None)
        else:
            report = add_link(services, args.link, None)
    except (FetchRefused, SourceRefused, OSError) as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 1
    print(format_ingest_report(report.ingest))
    return 0


def cmd_remove(services: Services, args: argparse.Namespace) -> int:
    found = find_sources(services, args.source)
    if len(found) != 1:
        names = ", ".join(s.id for s in found) or "none"
        print(f"error: {len(found)} sources match {args.source!r} ({names})", file=sys.stderr)
        return 1
    if not _start_engine(services):
        return 1
    report = services.answers.remove_source(found[0].id, triggered_by="cli")
    print(format_ingest_report(report.ingest))
    return 0


def cmd_export_corpus(services: Services, args: argparse.Namespace) -> int:
    written = export_added(services.store, args.directory)
    print(f"Wrote {len(written)} added source(s) into {args.directory}: {', '.join(written)}")
    return 0


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
        if args.wait_english and english_for_quotes(services, answer, args.wait_english):
            english = services.answers.english
            assert english is not None  # translation is on
            answer = answer.with_english(services.answers.snapshot, english)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(format_answer(answer))
    return 0


def english_for_quotes(
    services: Services, answer: Answer, seconds: float, landed: Callable[[], None] | None = None
) -> bool:
    """Translate the passages of the quotes an answer shows that have no English yet (each
    one's key sentence first, `landed` called after each), for at most `seconds`; True when
    there was any to translate (some may have only their key sentences, or nothing, when time
    ran out)."""
    from retrieval.answers.answer import awaiting_english

    shown = answer.to_json()
    waiting = awaiting_english(shown) if wants_english(shown) else {}
    return english_for(services, waiting, seconds, landed)


def english_for(
    services: Services,
    key_sentences: Mapping[str, str],
    seconds: float,
    landed: Callable[[], None] | None = None,
) -> bool:
    """Translate these passages (id → the key sentence shown first) where they have no English
    yet, for at most `seconds`; True when there was any to translate: what landed in time is
    then worth showing, all of it or the key sentences."""
    from retrieval.translation.worker import passage_job, translate_shown

    store = services.translations
    if store is None or not key_sentences:
        return False
    rows = services.answers.snapshot.passage_by_id
    passages = [rows[pid] for pid in key_sentences if pid in rows]  # the answer's order
    jobs = [passage_job(p) for p in passages]
    keys = {p.content_hash: [key_sentences[p.id]] for p in passages}
    done = store.done([j.content_hash for j in jobs])
    jobs = [j for j in jobs if j.content_hash not in done]
    if not jobs:
        return False

    stop = threading.Event()

    def translate() -> None:
        translator = services.translator(stop)
        assert translator is not None  # translation is on: a store exists
        try:
            translate_shown(store, translator, jobs, keys, landed, services.aligner, stop)
        finally:
            translator.close()

    worker = threading.Thread(target=translate, name="english-for-quotes")
    worker.start()
    worker.join(seconds)
    # Out of time: the model stops within milliseconds, before this process may exit.
    stop.set()
    worker.join()
    services.answers.refresh_english()
    return True


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
    if args.wait_english and english_for(
        services, {e.passage_id: e.quote for e in entries}, args.wait_english
    ):
        entries = services.answers.timeline(topic)
    if args.png:
        from bot.charts import timeline_png  # matplotlib: imported only by what draws

        picture = timeline_png(topic, entries)
        if picture is None:
            print(f"error: nothing dated about {topic!r} to draw", file=sys.stderr)
            return 1
        args.png.write_bytes(picture)
        print(f"Drew {len(entries)} passages into {args.png}", file=sys.stderr)
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
        if e.english:
            print(f"             {e.english}")
    return 0


def cmd_follow(services: Services, args: argparse.Namespace) -> int:
    from bot.outbox.digests import KIND

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
    digests = services.digests.for_change(change, services.subscriptions.following())
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
                who, when = source.outlet or "unknown outlet", date_text(source.published)
                print(f"    source: {source.title} — {who}, {when} ({source.tier})")
            for passage in services.digests.quoted(news):
                print(f"    > {passage['excerpt'] or passage['text']}")
                if passage["english"]:
                    print(f"      {passage['english']}")
    return 0


def cmd_recheck(services: Services, args: argparse.Namespace) -> int:
    from bot.outbox.corrections import PACE_SECONDS
    from retrieval.changes.recheck import describe_source

    if not args.dry_run and not services.settings.recheck:
        print("RUMORBOT_RECHECK is off: past answers are not edited", file=sys.stderr)
        return 2
    if not _start_engine(services):
        return 1
    version = services.answers.snapshot.version
    plan = services.corrections.plan(version)
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
        if services.corrections.correct(client, correction, version):
            made += 1
            time.sleep(PACE_SECONDS)
    print(f"\n{made} of {len(plan.corrections)} corrected (the others: see the log).")
    return 0


def cmd_gaps(services: Services, args: argparse.Namespace) -> int:
    from bot.store.gaps import gaps_of

    if not _start_engine(services):
        return 1
    gaps = gaps_of(services.answers, services.records, args.days)
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


def cmd_translate_check(services: Services, path: Path) -> int:
    """The product's guard on given renderings: per line, whether the English would be shown
    as a translation, what would be shown, and the problems found."""
    from retrieval.translation.render import verdict

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    aligner = services.aligner
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            chinese, english = str(row["chinese"]), str(row["english"])
        except (ValueError, KeyError, TypeError) as exc:
            print(
                f"error: {path}:{number}: not a {{chinese, english}} line ({exc})", file=sys.stderr
            )
            return 2
        result = verdict(chinese, english, aligner)
        shown = english if result.ok else None
        print(
            json.dumps(
                {"checked": result.ok, "shown": shown, "problems": list(result.problems)},
                ensure_ascii=False,
            ),
            flush=True,
        )
    return 0


def cmd_translate(services: Services, args: argparse.Namespace) -> int:
    if args.check is not None:
        return cmd_translate_check(services, args.check)
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
            aligner=services.aligner,
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
    from bot.serving.server import RumorServer

    settings = services.settings
    socket_mode = args.socket or settings.slack_app_token is not None
    port = args.port or settings.port
    try:
        RumorServer(services, port=port, socket_mode=socket_mode, host=args.host).run()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
