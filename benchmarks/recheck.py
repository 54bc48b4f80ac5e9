"""Time and Slack Web API calls of re-checking past answers after a corpus change.

    .venv/bin/python benchmarks/recheck.py [--answers 1000]

Logs N answers (the questions of dev and the hold-outs, cycled) as posted Slack messages, adds
one new source to a copy of the corpus, reloads, then prints: the time to re-ask and compare
every answer (the planning a reload reports on), how many changed, and the time and Web API
calls of sending the corrections to a local stand-in for Slack with no pacing, beside the time
the pacing (one correction per PACE_SECONDS) spreads them over in production. Uses the e5
model in ./data/models (run ./scripts/run once first) and no English renderings.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sets import ROOT, SETS  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from bot.app import configure_client
from bot.outbox.corrections import PACE_SECONDS, plan_recheck
from bot.services import build_services
from bot.settings import Settings
from retrieval.answers.evaluation import load_questions
from tests.bot.slack_stub import SlackStub

NEW_SOURCE = """---
title: GPT-5 与 Orion 的最新消息
outlet: Example Wire
date: 2026-11-20
tier: report
---

## 发布

据 Example Wire 报道，OpenAI 表示 GPT-5 已经完成训练，Orion 将以新的名字在明年初发布。

## 成本

知情人士称，训练成本和推理成本仍然是推迟发布的主要原因，Anthropic 的 Opus 3.5 也是如此。
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1000)
    args = parser.parse_args()
    from slack_sdk import WebClient

    questions = [q.question for path in SETS.values() for q in load_questions(path)]
    work = Path(tempfile.mkdtemp(prefix="rumorbot-recheck-"))
    stub = SlackStub().start()
    try:
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        settings = Settings(
            _env_file=None,
            data_dir=work / "data",
            corpus_dir=corpus,
            model_dir_override=ROOT / "data" / "models",
            translator="off",
            slack_api_base_url=stub.url + "/api/",
        )
        services = build_services(settings)
        services.answers.start(triggered_by="benchmark")
        started = time.perf_counter()
        answers = {q: services.answers.ask(q).to_json() for q in questions}
        for n in range(args.answers):
            question = questions[n % len(questions)]
            answer = answers[question]
            answer_id = services.records.log_answer(
                surface="mention",
                user_id=f"U{n % 40}",
                channel_id=f"C{n % 7}",
                question=question,
                answer=answer,
                thread_ts=f"{1700000000 + n}.000100",
            )
            services.records.mark_posted(answer_id, f"C{n % 7}", f"{1700000000 + n}.000200")
        logged = time.perf_counter() - started
        print(f"logged {args.answers} answers in {logged:.1f} s ({len(questions)} questions)")

        (corpus / "005_benchmark.md").write_text(NEW_SOURCE)
        services.answers.reload("benchmark")
        version = services.answers.snapshot.version
        started = time.perf_counter()
        days = services.settings.recheck_days
        plan = plan_recheck(services.answers, services.store, services.records, version, days)
        planned = time.perf_counter() - started
        print(
            f"re-check: {plan.checked} answers re-asked and compared in {planned:.1f} s"
            f" ({planned / max(plan.checked, 1) * 1000:.1f} ms each); {plan.summary()}"
        )
        labels: dict[str, int] = {}
        for c in plan.corrections:
            key = f"{c.revision.was}→{c.revision.now}"
            labels[key] = labels.get(key, 0) + 1
        print("  label changes:", ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))

        client = WebClient(token="xoxb-benchmark")
        configure_client(client, settings)
        services.corrections.pace = 0
        started = time.perf_counter()
        made = services.corrections.deliver(client)
        sent = time.perf_counter() - started
        calls = {path: len(c) for path, c in stub.calls.items() if c}
        print(
            f"sending {len(made)} corrections unpaced: {sent:.1f} s; Web API calls: {calls};"
            f" paced in production: ~{len(made) * PACE_SECONDS / 60:.1f} min"
        )
    finally:
        stub.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
