"""How long an answer waits for the English of the quotes it shows, when none exists yet.

    .venv/bin/python benchmarks/english_now.py [--questions 6]

For each question of the dev set (English ones), the renderings are deleted, the question is
answered, and the passages of its three shown quotes are translated as `rumorbot ask
--wait-english` (and the bot, which edits the posted answer as each part lands) does: the
model loaded, the units of each quote's key sentence first, best quote first, then the rest of
each passage, each unit translated with context and checked. Prints seconds per answer until
the first quote's key sentence has English, until all three have, and until all of their
English is in (p50, p95), and how many of the shown key sentences and whole quotes passed the
guard.
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
from retrieval.translation.render import NO_ENGLISH


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=6)
    args = parser.parse_args()
    services = build_services(Settings())
    services.answers.start(triggered_by="benchmark")
    questions = [q.question for q in load_questions(SETS["dev"]) if not has_cjk(q.question)]
    seconds, firsts, keys, shown, passed, keys_passed = [], [], [], 0, 0, 0
    for question in questions[: args.questions]:
        with services.sessions.begin() as session:
            session.execute(delete(Translation))
        services.answers.refresh_english()
        answer = services.answers.ask(question)
        started = time.perf_counter()
        landed: list[float] = []  # when each quote's key sentence had English (the bot's edits)

        def mark(at: list[float] = landed) -> None:
            at.append(time.perf_counter())

        english_for_quotes(services, answer, 3600, landed=mark)
        seconds.append(time.perf_counter() - started)
        firsts.append(landed[0] - started if landed else seconds[-1])
        keys.append(landed[-1] - started if landed else seconds[-1])
        english = services.answers.english
        assert english is not None
        done = answer.with_english(services.answers.snapshot, english)
        for quote in done.shown():
            shown += 1
            passed += bool(quote.english_checked)
            keys_passed += bool(quote.english_highlight) and NO_ENGLISH not in (
                quote.english_highlight or ""
            )
        print(f"{firsts[-1]:6.1f} s {keys[-1]:6.1f} s {seconds[-1]:6.1f} s  {question}", flush=True)

    def figures(values: list[float]) -> str:
        return f"p50 {statistics.median(values):.1f} s, p95 {np.percentile(values, 95):.1f} s"

    print(
        f"Over {len(seconds)} answers: the first quote's key sentence in English {figures(firsts)};"
        f" all three key sentences {figures(keys)}; all of the quotes' English"
        f" {figures(seconds)}. Key sentences shown in English: {keys_passed}/{shown};"
        f" quotes whose every unit passed the guard: {passed}/{shown}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
