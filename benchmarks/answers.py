"""Answer quality beyond retrieval: labels against the quotes, and the key sentence.

    .venv/bin/python benchmarks/answers.py [--json]

For ../shared/eval/dev.jsonl and the two hold-out sets, with the configured embedder and the
renderings already stored (RUMORBOT_TRANSLATOR=off measures without English), prints:
- R@1 / R@3;
- answers whose first quote is right, and how many of them were labelled low or none;
- unanswerable questions labelled low/none, and overconfident answers (high without a right
  quote among the first three);
- the share of right first quotes whose marked key sentence holds the gold string.
Then, per set, how many questions are about now and how many of their answers change order
for it; and every answer with a right first quote labelled low/none, and every unanswerable
one not labelled low/none, with its reason: what to read when a figure moves.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from sets import ROOT, SETS  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

import retrieval.answers.quoting as quoting
from bot.services import build_services
from bot.settings import Settings
from retrieval.answers.answer import compose
from retrieval.answers.engine import AnswerEngine
from retrieval.answers.evaluation import EvalQuestion, evaluate, load_questions
from retrieval.answers.recency import about_now


def about_now_changes(engine: AnswerEngine, questions: list[EvalQuestion]) -> tuple[int, int]:
    """(questions about now, of them answers whose shown quotes change order or set): the
    same search composed with and without today's date."""
    now = [q.question for q in questions if about_now(q.question)]
    changed = 0
    for question in now:
        result = engine.searcher.search(engine.snapshot, question, english=engine.english)
        dated = compose(engine.snapshot, result, engine.english, engine.unit_vectors, date.today())
        plain = compose(engine.snapshot, result, engine.english, engine.unit_vectors)
        changed += [q.passage_id for q in dated.shown()] != [q.passage_id for q in plain.shown()]
    return len(now), changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per set")
    parser.add_argument(
        "--key-dense-weight",
        type=float,
        default=None,
        help="weight of the dense model in choosing the key sentence (0: term coverage only,"
        " as before it was used)",
    )
    args = parser.parse_args()
    if args.key_dense_weight is not None:
        quoting.KEY_DENSE_WEIGHT = args.key_dense_weight
    services = build_services(Settings())
    services.answers.start(triggered_by="benchmark")
    english = services.answers.english
    rendered = len(english.rows) if english is not None else 0
    print(
        f"embedder {services.settings.embedder}; passages with English: {rendered};"
        f" key sentence dense weight {quoting.KEY_DENSE_WEIGHT}\n"
    )
    if not args.json:
        print(
            "| set | R@1 | R@3 | right first quote | of them low/none | unanswerable low/none"
            " | overconfident | key sentence holds gold |"
        )
        print("|---|---|---|---|---|---|---|---|")
    problems = []
    for name, path in SETS.items():
        if not path.exists():
            print(f"(skipped {name}: {path} not found)")
            continue
        report = evaluate(load_questions(path), services.answers.ask)
        m = report.metrics()
        if args.json:
            print(json.dumps({"set": name, **m, "labels": report.labels}, ensure_ascii=False))
        else:
            print(
                f"| {name} | {m['R@1']:.2f} | {m['R@3']:.2f} | {m['right_first']}"
                f" | {m['right_first_labelled_low_or_none']}"
                f" | {m['unanswerable_labelled_low_or_none']}/{m['unanswerable']}"
                f" | {m['overconfident']} | {m['key_sentence_share']:.2f} |"
            )
        for row in report.rows:
            low = row["confidence"] in ("low", "none")
            if (row["rank"] == 0 and low) or (not row["answerable"] and not low):
                problems.append((name, row))
    if not args.json:
        print()
        for name, path in SETS.items():
            if path.exists():
                now, changed = about_now_changes(services.answers, load_questions(path))
                print(f"- [{name}] about now: {now} questions, shown quotes reordered: {changed}")
        for name, row in problems:
            print(f"- [{name}] {row['confidence']}: {row['question']} — {row['reason']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
