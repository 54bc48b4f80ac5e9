"""Scoring a question file in the format of ../shared/eval/dev.jsonl (see its README)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from retrieval.answers.answer import Answer, Evidence, Quote, decide
from retrieval.answers.credibility import STRONG_TIERS, origins


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    docs: tuple[str, ...]  # empty: the corpus does not answer it
    gold: tuple[str, ...]


@dataclass
class EvalReport:
    answerable: int = 0
    unanswerable: int = 0
    hits_at: dict[int, int] = field(default_factory=lambda: {1: 0, 3: 0, 5: 0})
    reciprocal_rank_sum: float = 0.0
    none_labelled_low_or_none: int = 0
    overconfident: int = 0
    # Answers whose first quote is right: how many were labelled low or none (should be
    # few), and how many mark a key sentence in it that holds the gold string.
    right_first: int = 0
    right_first_low: int = 0
    key_sentence_hits: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    # Answers whose only support is one analysis or retelling: their labels (never "high").
    weak_single_labels: dict[str, int] = field(default_factory=dict)
    # "high" answers relabelled as if one analysis / one retelling were their only support.
    high_answers: int = 0
    high_if_single_analysis: int = 0
    high_if_single_retelling: int = 0

    def metrics(self) -> dict[str, Any]:
        n = max(self.answerable, 1)
        return {
            "answerable": self.answerable,
            "R@1": round(self.hits_at[1] / n, 3),
            "R@3": round(self.hits_at[3] / n, 3),
            "R@5": round(self.hits_at[5] / n, 3),
            "MRR": round(self.reciprocal_rank_sum / n, 3),
            "unanswerable": self.unanswerable,
            "unanswerable_labelled_low_or_none": self.none_labelled_low_or_none,
            "overconfident": self.overconfident,
            "right_first": self.right_first,
            "right_first_labelled_low_or_none": self.right_first_low,
            "key_sentence_share": round(self.key_sentence_hits / max(self.right_first, 1), 3),
            "weak_single_support_labels": dict(self.weak_single_labels),
            "high_answers": self.high_answers,
            "still_high_if_only_one_analysis": self.high_if_single_analysis,
            "still_high_if_only_one_retelling": self.high_if_single_retelling,
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            doc = str(row["doc"])
            out.append(
                EvalQuestion(
                    row["question"],
                    () if doc == "none" else tuple(doc.split("|")),
                    tuple(row.get("gold", [])),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question line ({exc})") from exc
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_hit(question: EvalQuestion, source_file: str, text: str) -> bool:
    return source_file.startswith(question.docs) and holds_gold(question, text)


def holds_gold(question: EvalQuestion, text: str) -> bool:
    body = _squash(text)
    return any(_squash(g) in body for g in question.gold)


def first_right(question: EvalQuestion, quotes: list[Quote]) -> int | None:
    """The position of the first quote that holds the answer (None: none does, or the corpus
    does not answer the question)."""
    return next(
        (
            i
            for i, quote in enumerate(quotes)
            if question.docs and is_hit(question, quote.source_file, quote.text)
        ),
        None,
    )


def _as_single(evidence: Evidence, tier: str) -> Evidence:
    """The same evidence, as if one source of the given tier were all the support."""
    supports = tuple(replace(s, origin="the only source", tier=tier) for s in evidence.supports)
    return replace(evidence, supports=supports)


def _credibility(report: EvalReport, answer: Answer) -> None:
    evidence = answer.evidence
    if evidence is None:
        return
    supports = list(evidence.supports)
    if supports and len(origins(supports)) == 1 and not {s.tier for s in supports} & STRONG_TIERS:
        label = answer.confidence
        report.weak_single_labels[label] = report.weak_single_labels.get(label, 0) + 1
    if answer.confidence == "high":
        report.high_answers += 1
        report.high_if_single_analysis += decide(_as_single(evidence, "analysis"))[0] == "high"
        report.high_if_single_retelling += decide(_as_single(evidence, "retelling"))[0] == "high"


def evaluate(questions: list[EvalQuestion], ask: Callable[[str], Answer]) -> EvalReport:
    report = EvalReport()
    for q in questions:
        answer = ask(q.question)
        report.labels[answer.confidence] = report.labels.get(answer.confidence, 0) + 1
        rank = first_right(q, answer.quotes)
        if q.docs:
            report.answerable += 1
            for k in report.hits_at:
                report.hits_at[k] += rank is not None and rank < k
            report.reciprocal_rank_sum += 1 / (rank + 1) if rank is not None else 0.0
        else:
            report.unanswerable += 1
            report.none_labelled_low_or_none += answer.confidence in ("low", "none")
        if answer.confidence == "high" and (rank is None or rank >= 3):
            report.overconfident += 1
        if rank == 0:
            report.right_first += 1
            report.right_first_low += answer.confidence in ("low", "none")
            report.key_sentence_hits += holds_gold(q, answer.quotes[0].highlight)
        _credibility(report, answer)
        report.rows.append(
            {
                "question": q.question,
                "answerable": bool(q.docs),
                "rank": rank,
                "confidence": answer.confidence,
                "reason": answer.reason,
                "key_sentence": answer.quotes[0].highlight if answer.quotes else None,
            }
        )
    return report
