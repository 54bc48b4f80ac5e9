"""Retrieval quality with the real model on the development questions (a regression guard).

The bar is the one the product promises (docs/quality.md): R@3 >= 0.90 and R@1 >= 0.75 over
answerable questions, every unanswerable question labelled low or none, nothing labelled high
without a hit in the top three. benchmarks/holdout.jsonl, written separately, is reported, not
asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.answers.evaluation import evaluate, load_questions
from tests.retrieval.test_answer import make_engine_for

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not DEV.exists(), reason=f"{DEV} is not beside the project")
def test_dev_set_quality(e5_embedder, corpus_dir: Path, tmp_path: Path) -> None:
    engine = make_engine_for(corpus_dir, tmp_path, e5_embedder)
    engine.start()
    report = evaluate(load_questions(DEV), engine.ask)
    metrics = report.metrics()
    assert metrics["R@3"] >= 0.90, report.rows
    assert metrics["R@1"] >= 0.75, report.rows
    assert metrics["unanswerable_labelled_low_or_none"] == metrics["unanswerable"]
    assert metrics["overconfident"] == 0
