"""English renderings: what they cost to make and what they give retrieval.

    .venv/bin/rumorbot translate            # once: renders the corpus (stored in the database)
    .venv/bin/python benchmarks/english.py  # [--skip-live] [--configs]

Prints, for docs/quality.md:
- translation figures from the stored renderings (seconds and tokens per text, guard pass
  rate, whole-corpus time) and, live, the model's load time, tokens/s and peak RSS while
  translating, and the serving process's RSS before, during and after (translator idle);
- retrieval before/after: R@1, R@3 and MRR over English and Chinese questions of
  ../shared/eval/dev.jsonl and the two hold-out sets, unanswerable questions labelled
  low/none, and overconfident answers, with English renderings off and on; with --configs
  also each English ranking alone and other fusion weights (what the defaults were chosen by).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass

from sets import ROOT, SETS  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from bot.services import build_services
from bot.settings import Settings
from retrieval.answers.evaluation import EvalQuestion, evaluate, load_questions
from retrieval.db.tables import Translation
from retrieval.text.tokens import has_cjk


def row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def stored_figures(services) -> None:
    from sqlalchemy import case, func, select

    store = services.translations
    with services.sessions() as session:
        count, checked, seconds, tokens = session.execute(
            select(
                func.count(),
                func.sum(case((Translation.checked.is_(True), 1), else_=0)),
                func.sum(Translation.seconds),
                func.sum(Translation.tokens),
            ).where(
                Translation.translator_id == store.translator_id,
                Translation.prompt_version == store.prompt_version,
                Translation.status == "done",
            )
        ).one()
    jobs = services.translation_jobs()
    print(f"\nStored renderings ({store.translator_id}, prompt version {store.prompt_version})\n")
    row("figure", "value")
    row("---", "---")
    row("texts rendered (passages + titles)", f"{count} of {len(jobs)}")
    if count:
        row("guard pass rate (checked)", f"{checked}/{count} ({checked / count:.0%})")
        row("seconds per text (mean)", f"{seconds / count:.1f} s")
        row("tokens per second (generated)", f"{tokens / seconds:.1f}")
        row("whole corpus, one worker (sum of texts)", f"{seconds / 60:.1f} min")


LIVE = r"""
import json, sys, time
from pathlib import Path
from bot.services import build_services
from bot.settings import Settings

def rss():
    fields = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

services = build_services(Settings())
services.answers.start()
for q in ("why was Opus 3.5 not released?", "Orion 为什么失败？"):
    services.answers.ask(q)
serving, _ = rss()
texts = [j.text for j in services.translation_jobs()[:3]]
started = time.perf_counter()
translator = services.translator()
translator.translate("微软")
load = time.perf_counter() - started
tokens, seconds = 0, 0.0
for text in texts:
    t = time.perf_counter()
    tokens += translator.translate(text)[1]
    seconds += time.perf_counter() - t
during, peak = rss()
translator.close()
time.sleep(1)
idle, _ = rss()
print(json.dumps(dict(serving=serving, during=during, peak=peak, idle=idle, load=load,
                      tokens=tokens, seconds=seconds)))
"""


def live_figures() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LIVE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    f = json.loads(out.stdout.strip().splitlines()[-1])
    print("\nLive, in one serving process (model + index loaded, two questions answered)\n")
    row("figure", "value")
    row("---", "---")
    row("serving RSS, translator not loaded", f"{f['serving']:.0f} MB")
    row("translator load + first call", f"{f['load']:.1f} s")
    row("generation speed (3 passages)", f"{f['tokens'] / f['seconds']:.1f} tokens/s")
    row("RSS while translating / peak", f"{f['during']:.0f} MB / {f['peak']:.0f} MB")
    row("serving RSS after the translator is freed (idle)", f"{f['idle']:.0f} MB")


@dataclass(frozen=True)
class Config:
    name: str
    english: bool
    weights: tuple[float, float, float] | None = None


def score(questions: list[EvalQuestion], ask) -> str:
    report = evaluate(questions, ask)
    m = report.metrics()
    if not m["answerable"]:
        return "—"
    return f"{m['R@1']:.2f} / {m['R@3']:.2f} / {m['MRR']:.2f}"


def retrieval_figures(services, configs: list[Config]) -> None:
    engine = services.answers
    engine.start()
    sets = {name: load_questions(path) for name, path in SETS.items() if path.exists()}
    default_weights = engine.searcher.english_weights
    print("\nRetrieval, R@1 / R@3 / MRR over answerable questions\n")
    row(
        "ranking",
        *(
            f"{n}: EN ({sum(1 for q in qs if not has_cjk(q.question) and q.docs)})"
            for n, qs in sets.items()
        ),
        *(f"{n}: ZH" for n in sets),
        "unanswerable low/none",
        "overconfident",
    )
    row(*["---"] * (2 * len(sets) + 3))
    for config in configs:
        engine.searcher.english_weights = config.weights or default_weights
        saved = engine.translations
        engine.translations = saved if config.english else None
        cells, zh_cells, unanswerable, overconfident = [], [], [0, 0], 0
        for questions in sets.values():
            en = [q for q in questions if not has_cjk(q.question)]
            zh = [q for q in questions if has_cjk(q.question)]
            cells.append(score(en, engine.ask))
            zh_cells.append(score(zh, engine.ask))
            m = evaluate(questions, engine.ask).metrics()
            unanswerable[0] += m["unanswerable_labelled_low_or_none"]
            unanswerable[1] += m["unanswerable"]
            overconfident += m["overconfident"]
        engine.translations = saved
        row(config.name, *cells, *zh_cells, f"{unanswerable[0]}/{unanswerable[1]}", overconfident)
    engine.searcher.english_weights = default_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-live", action="store_true", help="no live model figures")
    parser.add_argument("--configs", action="store_true", help="each piece alone, other weights")
    args = parser.parse_args()
    services = build_services(Settings())
    if services.translations is None:
        sys.exit("RUMORBOT_TRANSLATOR is off: nothing to measure")
    stored_figures(services)
    if not args.skip_live:
        live_figures()
    configs = [Config("without English renderings (before)", False)]
    if args.configs:
        configs += [
            Config("e5 on renderings alone", True, (0.0, 1.0, 0.0)),
            Config("BM25 on renderings alone", True, (0.0, 0.0, 1.0)),
            Config("fusion .5 / .3 / .2", True, (0.5, 0.3, 0.2)),
            Config("fusion .3 / .3 / .4", True, (0.3, 0.3, 0.4)),
            Config("fusion .2 / .4 / .4", True, (0.2, 0.4, 0.4)),
        ]
    configs.append(
        Config(f"with English renderings {services.answers.searcher.english_weights}", True)
    )
    started = time.perf_counter()
    retrieval_figures(services, configs)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
