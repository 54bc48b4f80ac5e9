"""The question sets every benchmark scores: the shared dev set and rumorbot's two hold-outs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "dev": ROOT.parent / "shared" / "eval" / "dev.jsonl",
    "hold-out": ROOT / "benchmarks" / "holdout.jsonl",
    "hold-out (Slack-style)": ROOT / "benchmarks" / "holdout-slack.jsonl",
}
