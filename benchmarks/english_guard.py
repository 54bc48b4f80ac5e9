"""The English guard against a graded sample: what it withholds of the wrong renderings and
what it shows of the good ones.

    .venv/bin/python benchmarks/english_guard.py [benchmarks/english-graded.jsonl]
    .venv/bin/python benchmarks/english_guard.py benchmarks/english-graded-blind.jsonl

Each line of the sample is one unit as the product rendered it (`chinese`, `english`) and a
reader's grade (faithful / minor / wrong: docs/quality.md, "English you can trust").
`english-graded-blind.jsonl` was graded after the guard's last rule on meaning and numbers and
is kept for checking, never for choosing a rule or a bar. The guard
is the product's, as `rumorbot translate --check` runs it: the rules and the meaning check
(EmbeddingGemma). Prints the wrong share of what it shows, its recall on wrong units and its
pass rate on faithful or minor ones, overall and on the transcript (source 002), and every
wrong unit it shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sets import ROOT  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from bot.services import build_services
from bot.settings import Settings
from retrieval.translation.render import verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sample", nargs="?", type=Path, default=ROOT / "benchmarks" / "english-graded.jsonl"
    )
    args = parser.parse_args()
    aligner = build_services(Settings()).aligner
    units = [json.loads(line) for line in args.sample.read_text(encoding="utf-8").splitlines()]
    for part, chosen in (
        ("all", units),
        ("transcript", [u for u in units if u["source"] == "002"]),
    ):
        shown = [u for u in chosen if verdict(u["chinese"], u["english"], aligner).ok]
        wrong = [u for u in chosen if u["grade"] == "wrong"]
        good = [u for u in chosen if u["grade"] in ("faithful", "minor")]
        wrong_shown = [u for u in shown if u["grade"] == "wrong"]
        good_shown = [u for u in shown if u["grade"] in ("faithful", "minor")]
        print(
            f"{part}: {len(chosen)} units, {len(wrong)} wrong; shown {len(shown)}, of them wrong"
            f" {len(wrong_shown)} ({len(wrong_shown) / max(len(shown), 1):.1%}); guard recall on"
            f" wrong {len(wrong) - len(wrong_shown)}/{len(wrong)}; faithful or minor shown"
            f" {len(good_shown)}/{len(good)}"
        )
        if part == "all":
            for unit in wrong_shown:
                print(f"  shown wrong #{unit['id']}: {unit['english'][:90]} ({unit['why'][:80]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
