"""The material-change test of past answers, the receipt, and the "about now" rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from retrieval.answers.recency import about_now
from retrieval.changes.recheck import receipt, revise

TODAY = date(2026, 12, 3)


def passage(pid: str, title: str = "Some article", **extra: Any) -> dict[str, Any]:
    return {
        "passage_id": pid,
        "title": title,
        "outlet": "Example Wire",
        "published": "2026-11-20",
        "tier": "report",
        "text": f"text of {pid}",
        **extra,
    }


def answer(label: str, *ids: str, reason: str = "a reason") -> dict[str, Any]:
    return {"confidence": label, "reason": reason, "passages": [passage(i) for i in ids]}


PRESENT = {"a", "b", "c", "d", "e", "n"}


@pytest.mark.parametrize(
    ("old", "new", "added", "material"),
    [
        # Another label.
        (answer("medium", "a", "b", "c"), answer("high", "a", "b", "c"), set(), True),
        # A passage new to the corpus among the first three.
        (answer("medium", "a", "b", "c"), answer("medium", "n", "a", "b"), {"n"}, True),
        # The same label, the new passage below the third quote: left alone.
        (answer("medium", "a", "b", "c"), answer("medium", "a", "b", "c", "n"), {"n"}, False),
        # A reordering of passages the corpus already had, even into the first three.
        (answer("low", "a", "b", "c", "d"), answer("low", "d", "a", "b", "c"), set(), False),
        (answer("low", "a", "b", "c"), answer("low", "c", "b", "a"), set(), False),
    ],
)
def test_what_counts_as_a_material_change(old, new, added, material) -> None:
    assert (revise(1, old, new, added, PRESENT) is not None) is material


def test_a_quoted_passage_changed_or_removed_is_material() -> None:
    old, new = answer("medium", "a", "gone", "b"), answer("medium", "a", "b", "c")
    revision = revise(7, old, new, set(), PRESENT)
    assert revision is not None and not revision.label_changed
    assert [p["passage_id"] for p in revision.gone] == ["gone"]
    # Below the third quote, it is not shown, so not material.
    assert revise(7, answer("medium", "a", "b", "c", "gone"), new, set(), PRESENT) is None


def test_the_receipt_says_what_changed_and_what_it_was() -> None:
    old = answer("medium", "a", "b", "c", reason="2 analyses agree; no report")
    new = answer("high", "n", "a", "b")
    new["passages"][0] = passage("n", title="Orion 的新消息")
    revision = revise(3, old, new, {"n"}, PRESENT)
    assert revision is not None
    text = receipt(revision, TODAY)
    assert text.startswith("Updated 2026-12-03 after a corpus change: Medium → High")
    assert "new: Orion 的新消息, Example Wire, 2026-11-20, report" in text
    assert text.endswith("(was: Medium, 2 analyses agree; no report)")
    assert revision.record(9, TODAY) == {
        "corpus_version": 9,
        "at": "2026-12-03",
        "was": "medium",
        "now": "high",
        "was_reason": "2 analyses agree; no report",
        "new": ["n"],
        "gone": [],
    }


def test_a_receipt_without_a_new_label_says_it_is_unchanged() -> None:
    old, new = answer("low", "a", "gone", "b"), answer("low", "a", "b", "c")
    revision = revise(3, old, new, set(), PRESENT)
    assert revision is not None
    text = receipt(revision, TODAY)
    assert "still Low" in text and "no longer quoted (changed or removed): Some article" in text
    assert "was:" not in text


@pytest.mark.parametrize(
    "question",
    [
        "is gpt-5 out yet?",
        "latest on Orion?",
        "still delayed?",
        "any news on Opus 3.5",
        "What's the current status of GPT-5?",
        "GPT-5 现在发布了吗？",
        "Orion 最新进展",
        "目前 OpenAI 怎么说",
        "GPT-5 还在训练吗？",
    ],
)
def test_questions_about_now(question: str) -> None:
    assert about_now(question)


@pytest.mark.parametrize(
    "question",
    [
        "why was Opus 3.5 not released?",
        "who reported the Orion codename?",
        "What did Sam Altman say about GPT-5 in 2024?",
        "为什么 Opus 3.5 没有发布？",
        "Orion 是什么？",
        "还原了哪些细节",  # 还 without a question about the present
        "what is known about it",  # "now" inside "known" is not "now"
    ],
)
def test_questions_not_about_now(question: str) -> None:
    assert not about_now(question)
