"""The question sets every benchmark scores: the shared dev set and rumorbot's hold-outs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "dev": ROOT.parent / "shared" / "eval" / "dev.jsonl",
    "hold-out": ROOT / "benchmarks" / "holdout.jsonl",
    "hold-out (Slack-style)": ROOT / "benchmarks" / "holdout-slack.jsonl",
    # What each question asks for (a number, a date, a name, a reason), answerable...
    "hold-out (slots)": ROOT / "benchmarks" / "holdout-slots.jsonl",
    # ...and on the corpus's topics but not answered by it (each says what the corpus lacks).
    "hold-out (on-topic, unanswerable)": ROOT / "benchmarks" / "holdout-unanswerable.jsonl",
}
