"""How long an answer waits for the English of the quotes it shows, when none exists yet.

    .venv/bin/python benchmarks/english_now.py [--questions 6]

For each question of the dev set (English ones), the renderings are deleted, the question is
answered, and the passages of its three shown quotes are translated as `rumorbot ask
--wait-english` (and the bot, before it edits a posted answer) does: the model loaded, each
passage's units translated with context and checked. Prints seconds per answer (p50, p95)
and how many of the shown quotes' units passed the guard.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from sets import ROOT, SETS  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from sqlalchemy import delete

from bot.cli.commands import english_for_quotes
from bot.services import build_services
from bot.settings import Settings
from retrieval.answers.evaluation import load_questions
from retrieval.db.tables import Translation
from retrieval.text.tokens import has_cjk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=6)
    args = parser.parse_args()
    services = build_services(Settings())
    services.answers.start(triggered_by="benchmark")
    questions = [q.question for q in load_questions(SETS["dev"]) if not has_cjk(q.question)]
    seconds, shown, passed = [], 0, 0
    for question in questions[: args.questions]:
        with services.sessions.begin() as session:
            session.execute(delete(Translation))
        services.answers.refresh_english()
        answer = services.answers.ask(question)
        started = time.perf_counter()
        english_for_quotes(services, answer, 3600)
        seconds.append(time.perf_counter() - started)
        english = services.answers.english
        assert english is not None
        done = answer.with_english(services.answers.snapshot, english)
        for quote in done.shown():
            shown += 1
            passed += bool(quote.english_checked)
        print(f"{seconds[-1]:6.1f} s  {question}", flush=True)
    print(
        f"English under the shown quotes: p50 {statistics.median(seconds):.1f} s,"
        f" p95 {np.percentile(seconds, 95):.1f} s over {len(seconds)} answers;"
        f" quotes whose every unit passed the guard: {passed}/{shown}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
