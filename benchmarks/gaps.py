"""How well `rumorbot gaps` tells paraphrases of one missing topic from other questions on the
same names: precision and recall of "one group" on benchmarks/paraphrase-pairs.jsonl (25
paraphrase pairs, 25 pairs that ask different things), at the configured embedder's distance
and around it.

    .venv/bin/python benchmarks/gaps.py
"""

from __future__ import annotations

import json
import sys

import numpy as np
from sets import ROOT  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from bot.settings import Settings
from retrieval.embedding.calibration import calibration_for
from retrieval.embedding.loading import load_embedder

PAIRS = ROOT / "benchmarks" / "paraphrase-pairs.jsonl"


def main() -> int:
    settings = Settings()
    pairs = [json.loads(line) for line in PAIRS.read_text().splitlines() if line.strip()]
    embedder = load_embedder(settings.embedder, settings.model_dir)
    first = embedder.embed_similar([p["a"] for p in pairs])
    second = embedder.embed_similar([p["b"] for p in pairs])
    distance = 1 - np.sum(first * second, axis=1)
    same = np.array([bool(p["same"]) for p in pairs])
    chosen = calibration_for(settings.embedder).gap_distance
    print(f"embedder {settings.embedder}; {same.sum()} paraphrase pairs, {(~same).sum()} others")
    print("| distance under | precision | recall |\n|---|---|---|")
    for bar in sorted({round(chosen + step, 3) for step in (-0.1, -0.05, 0.0, 0.05, 0.1)}):
        grouped = distance < bar
        precision = (grouped & same).sum() / max(grouped.sum(), 1)
        recall = (grouped & same).sum() / same.sum()
        mark = " (configured)" if bar == round(chosen, 3) else ""
        print(f"| {bar:.3f}{mark} | {precision:.2f} | {recall:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
