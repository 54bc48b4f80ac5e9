"""Does the translator model, asked whether the first quote answers the question, tell right
answers from questions the corpus does not answer, beyond what the label already knows?

    RUMORBOT_TRANSLATOR=off .venv/bin/python benchmarks/answer_check.py
    .venv/bin/python benchmarks/answer_check.py --rows data/answer-check.jsonl  # report again

For every question of the benchmark sets (benchmarks/sets.py), the product's answer (label,
rank of the first right quote) and the shipped Qwen2.5-Coder-1.5B-Instruct's p(Yes) against
p(No) for "does the passage answer the question?", read from its next-token logits (one
evaluation, nothing generated), given the first quote: its key sentence alone, the quote as
shown, and, where its English exists (the translator on, after `rumorbot translate`), the
quote with its English. Prints each reading's AUC (right first quotes against unanswerable
questions, over all answers and over those labelled medium or high: what the check would
have to lower), then what lowering medium below a bar, or raising "only loosely related"
low above one, would do. About 6 s a question on two cores (~20 min for the 192; ~30 with
English).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from reading import auc, chat  # benchmarks/reading.py, beside this script
from sets import ROOT, SETS  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from bot.services import build_services
from bot.settings import Settings
from retrieval.answers.evaluation import first_right, load_questions
from retrieval.translation.model import ensure_joined

SYSTEM = (
    "You check whether a passage answers a question. Say Yes only if the passage itself states"
    " the specific fact the question asks for, about the thing the question asks about. Say No"
    " if the passage is only on the same topic, or says that the fact is not known."
)
USER = "Question: {q}\n\nPassage:\n{p}\n\nDoes the passage answer the question? Answer Yes or No."
READINGS = ("key", "quote", "with_english")
LOOSE = "loosely related"  # the reason of the label's last rule


class Checker:
    def __init__(self, model_path: Path):
        import llama_cpp

        self.llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=2048, verbose=False)
        token = lambda w: self.llm.tokenize(w, add_bos=False)[0]  # noqa: E731
        self.yes = [token(w) for w in (b"Yes", b" Yes", b"yes")]
        self.no = [token(w) for w in (b"No", b" No", b"no")]

    def p_yes(self, question: str, passage: str) -> float:
        prompt = chat(SYSTEM, USER.format(q=question, p=passage))
        self.llm.reset()
        self.llm.eval(self.llm.tokenize(prompt.encode(), add_bos=False, special=True))
        # Without logits_all, llama-cpp-python keeps no scores: read the last position's.
        logits = np.ctypeslib.as_array(
            self.llm._ctx.get_logits_ith(-1), shape=(self.llm.n_vocab(),)
        ).astype(np.float64)
        top = logits.max()
        yes, no = np.exp(logits[self.yes] - top).sum(), np.exp(logits[self.no] - top).sum()
        return float(yes / (yes + no))


def collect(out: Path, names: list[str]) -> list[dict]:
    services = build_services(Settings())
    services.answers.start(triggered_by="benchmark")
    checker = Checker(ensure_joined(services.settings.model_dir))
    rows = []
    with out.open("w", encoding="utf-8") as file:
        for name, path in SETS.items():
            if names and name not in names:
                continue
            for q in load_questions(path):
                answer = services.answers.ask(q.question)
                if not answer.quotes:
                    continue
                first = answer.quotes[0]
                rank = first_right(q, answer.quotes)
                row = {
                    "set": name,
                    "question": q.question,
                    "answerable": bool(q.docs),
                    "rank": rank,
                    "label": answer.confidence,
                    "reason": answer.reason,
                    "key": checker.p_yes(q.question, first.highlight),
                    "quote": checker.p_yes(q.question, first.excerpt or first.text),
                }
                if first.english:  # as the research asked it: the Chinese and its English
                    shown = f"{first.excerpt or first.text}\n\nIn English:\n{first.english}"
                    row["with_english"] = checker.p_yes(q.question, shown)
                file.write(json.dumps(row, ensure_ascii=False) + "\n")
                file.flush()  # a stopped run keeps what it measured (--rows reports it)
                rows.append(row)
    return rows


def _confident(row: dict) -> bool:
    return row["label"] in ("medium", "high")


def _loose(row: dict) -> bool:
    return row["label"] == "low" and LOOSE in row["reason"]


def report(rows: list[dict]) -> None:
    right = [r for r in rows if r["rank"] == 0]
    unanswerable = [r for r in rows if not r["answerable"]]
    print(f"{len(right)} right first quotes, {len(unanswerable)} unanswerable questions\n")
    for reading in READINGS:
        if not all(reading in r for r in right + unanswerable):
            continue  # no English (translator off, or not every quote rendered yet)
        every = auc([r[reading] for r in right], [r[reading] for r in unanswerable])
        among = auc(
            [r[reading] for r in right if _confident(r)],
            [r[reading] for r in unanswerable if _confident(r)],
        )
        print(f"{reading}: AUC {every:.2f}; among answers labelled medium or high {among:.2f}")
        for bar in (0.2, 0.3, 0.35, 0.4, 0.45):
            caught = sum(_confident(r) and r[reading] < bar for r in unanswerable)
            lowered = sum(_confident(r) and r[reading] < bar for r in right)
            print(
                f"  medium below {bar}: unanswerable caught"
                f" {caught}/{sum(map(_confident, unanswerable))}, right first quotes lowered"
                f" {lowered}/{len(right)}"
            )
        for bar in (0.4, 0.5, 0.55, 0.6):
            raised = sum(_loose(r) and r[reading] >= bar for r in right)
            wrongly = sum(_loose(r) and r[reading] >= bar for r in unanswerable)
            print(
                f"  loosely-related low at {bar} or above: right raised"
                f" {raised}/{sum(map(_loose, right))}, unanswerable raised"
                f" {wrongly}/{sum(map(_loose, unanswerable))}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "answer-check.jsonl")
    parser.add_argument(
        "--set", action="append", default=[], choices=SETS, help="only these sets (repeatable)"
    )
    parser.add_argument("--rows", type=Path, help="report on the rows of an earlier --out")
    args = parser.parse_args()
    if args.rows:
        rows = [json.loads(line) for line in args.rows.read_text(encoding="utf-8").splitlines()]
    else:
        rows = collect(args.out, args.set)
    report(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
