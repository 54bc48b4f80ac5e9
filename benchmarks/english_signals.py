"""Checks of a rendering read from the translator model itself, against a graded sample: do
they find the wrong units the guard shows?

    .venv/bin/python benchmarks/english_signals.py [benchmarks/english-graded.jsonl]

Per unit (`chinese`, `english`, a reader's grade; see benchmarks/english_guard.py), with the
shipped Qwen2.5-Coder-1.5B-Instruct at its given weights:
- judge: the model asked whether the English says what the Chinese says, logit(Yes) - logit(No);
- own: the mean log-probability of the English under the product's translation prompt, without
  the neighbours' context (how sure the translator is of what it wrote; low where it guessed);
- back: the mean log-probability of the Chinese given the English under an English→Chinese
  prompt (back-translation read as likelihood: does the English carry the Chinese?);
- back-gain: that log-likelihood's gain over the Chinese given no English, per source token.
Prints each signal's separation of wrong from good units (AUC, 0.5 = none), over all units and
over the units the product's guard shows; then, for the units the guard shows, what withholding
the lowest by each signal (and by all four fitted together on this very sample, an upper bound)
leaves wrong among what is shown while 70 % of the good units stay shown (issue 26's bar).
About 12 s a unit on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path

import numpy as np
from reading import auc, chat  # benchmarks/reading.py, beside this script
from sets import ROOT  # benchmarks/sets.py, beside this script

sys.path.insert(0, str(ROOT))

from bot.services import build_services
from bot.settings import Settings
from retrieval.translation.model import ensure_joined
from retrieval.translation.numbers import explicit
from retrieval.translation.render import verdict
from retrieval.translation.translator import SYSTEM_PROMPT, user_message

GOOD_SHOWN = 0.70
JUDGE = (
    "Chinese:\n{chinese}\n\nEnglish translation:\n{english}\n\nDoes the English say exactly what"
    " the Chinese says: the same claims, the same people doing the same things, the same"
    " numbers and dates, the same negations, nothing added and nothing important left out?"
    " Answer Yes or No."
)
TO_CHINESE = "You translate English text about the AI industry into Chinese."


class Reader:
    """The translator model's log-probabilities (llama.cpp, every position's logits kept)."""

    def __init__(self, model_path: Path):
        import llama_cpp

        self.llm = llama_cpp.Llama(
            model_path=str(model_path), n_ctx=2048, logits_all=True, verbose=False
        )
        self.yes, self.no = (self.llm.tokenize(w, add_bos=False)[0] for w in (b"Yes", b"No"))

    def _eval(self, prompt: str, target: str = "") -> tuple[int, list[int]]:
        head = self.llm.tokenize(prompt.encode(), add_bos=False, special=True)
        tail = self.llm.tokenize(target.encode(), add_bos=False) if target else []
        self.llm.reset()
        self.llm.eval(head + tail)
        return len(head), tail

    def logprobs(self, prompt: str, target: str) -> list[float]:
        """log P(each token of `target` | the prompt and the tokens before it)."""
        start, tokens = self._eval(prompt, target)
        rows = np.asarray(self.llm.scores[start - 1 : start - 1 + len(tokens)], dtype=np.float64)
        top = rows.max(axis=1, keepdims=True)
        norm = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
        return (rows[np.arange(len(tokens)), tokens] - norm).tolist()

    def judge(self, chinese: str, english: str) -> float:
        question = JUDGE.format(chinese=chinese, english=english)
        start, _ = self._eval(chat("You review Chinese→English translations.", question))
        last = self.llm.scores[start - 1]
        return float(last[self.yes] - last[self.no])

    def signals(self, chinese: str, english: str) -> dict[str, float]:
        back = self.logprobs(chat(TO_CHINESE, english), chinese)
        alone = self.logprobs(chat(TO_CHINESE, "(no text)"), chinese)
        own = self.logprobs(chat(SYSTEM_PROMPT, user_message(explicit(chinese))), english)
        return {
            "judge": self.judge(chinese, english),
            "own": float(np.mean(own)),
            "back": float(np.mean(back)),
            "back-gain": float(np.mean(back) - np.mean(alone)),
        }


def good_above_wrong(units: list[dict], score: Callable[[dict], float]) -> float:
    """The chance a good unit scores above a wrong one."""
    good = [score(u) for u in units if u["grade"] != "wrong"]
    return auc(good, [score(u) for u in units if u["grade"] == "wrong"])


def withheld_lowest(units: list[dict], risk: Callable[[dict], float], good_total: int) -> str:
    """Of the units the guard shows, withhold the riskiest while GOOD_SHOWN of all good units
    stay shown: what is left."""
    shown = sorted((u for u in units if u["shown"]), key=risk)
    while sum(u["grade"] != "wrong" for u in shown[:-1]) >= GOOD_SHOWN * good_total:
        shown.pop()
    wrong = sum(u["grade"] == "wrong" for u in shown)
    return f"wrong shown {wrong}/{len(shown)} ({wrong / max(len(shown), 1):.1%})"


def fitted_risk(units: list[dict], names: list[str]) -> Callable[[dict], float]:
    """A logistic regression of wrong on the signals, fitted on `units` themselves."""
    x = np.array([[u[n] for n in names] for u in units])
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-9
    a = np.c_[(x - mean) / spread, np.ones(len(x))]
    y = np.array([u["grade"] == "wrong" for u in units], dtype=float)
    w = np.zeros(a.shape[1])
    for _ in range(5000):
        w -= 0.1 * (a.T @ (1 / (1 + np.exp(-a @ w)) - y) / len(y) + 0.01 * w)
    return lambda u: float(np.r_[(np.array([u[n] for n in names]) - mean) / spread, 1] @ w)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sample", nargs="?", type=Path, default=ROOT / "benchmarks" / "english-graded.jsonl"
    )
    args = parser.parse_args()
    services = build_services(Settings())
    reader = Reader(ensure_joined(services.settings.model_dir))
    units = [json.loads(line) for line in args.sample.read_text(encoding="utf-8").splitlines()]
    for unit in units:
        unit["shown"] = verdict(unit["chinese"], unit["english"], services.aligner).ok
        unit.update(reader.signals(unit["chinese"], unit["english"]))
    names = ["judge", "own", "back", "back-gain"]
    shown = [u for u in units if u["shown"]]
    good_total = sum(u["grade"] != "wrong" for u in units)
    transcript = [u for u in units if u["source"] == "002"]
    print(f"{len(units)} units, {len(units) - good_total} wrong; the guard shows {len(shown)}")
    wrong_shown = sum(u["grade"] == "wrong" for u in shown)
    print(f"guard alone: wrong shown {wrong_shown}/{len(shown)} ({wrong_shown / len(shown):.1%})")
    print("| signal | AUC all | AUC transcript | AUC among shown | withheld to 70 % good |")
    print("|---|---|---|---|---|")
    for name in names:
        score = itemgetter(name)
        print(
            f"| {name} | {good_above_wrong(units, score):.2f}"
            f" | {good_above_wrong(transcript, score):.2f} | {good_above_wrong(shown, score):.2f}"
            f" | {withheld_lowest(units, lambda u, s=score: -s(u), good_total)} |"
        )
    fitted = fitted_risk(units, names)
    print(f"| all four, fitted here | | | | {withheld_lowest(units, fitted, good_total)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
