"""What the corpus lacks: weak answers grouped by meaning (the real e5 model), through the
CLI's function and through `/rumor gaps` on the real Bolt path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services import Services, build_services
from bot.store.gaps import WeakAnswer, distinct, find_gaps
from tests.bot.conftest import ADMIN, RunningApp, make_settings
from tests.bot.slack_stub import SlackStub
from tests.bot.test_slack_app import ack_text

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def weak(user: str, question: str, hours_ago: int, *reasons: str) -> WeakAnswer:
    return WeakAnswer(user, question, NOW - timedelta(hours=hours_ago), "low", reasons)


SEEDED = [
    weak("U1", "what did mark chen reply to tworek", 5, "wrong_quotes"),
    weak("U1", "What did Mark Chen reply to Tworek?", 1),  # the same person again: once
    weak("U2", "mark chen response to jerry tworek", 3, "outdated"),
    weak("U3", "did mark chen answer tworek's complaint", 9),
    weak("U2", "best pizza in sf?", 2),
    weak("U4", "where to get pizza in san francisco", 7),
]


def test_weak_answers_group_by_meaning_largest_first(e5_embedder) -> None:
    asked: list[str] = []

    def nearest(question: str) -> str | None:
        asked.append(question)
        return None if "pizza" in question else "GPT-5难产内幕曝光 (cnBeta, 2025-08-03)"

    assert len(distinct(SEEDED)) == 5
    chen, pizza = find_gaps(SEEDED, e5_embedder, nearest)
    assert chen.size == 3 and pizza.size == 2
    assert chen.examples[0] == "What did Mark Chen reply to Tworek?"  # newest first
    assert chen.last_asked == NOW - timedelta(hours=1)
    assert chen.reasons == {"wrong_quotes": 1, "outdated": 1}
    assert chen.nearest and "cnBeta" in chen.nearest and pizza.nearest is None
    assert len(asked) == 2  # one search per group


def test_no_weak_answers_no_gaps(e5_embedder) -> None:
    assert find_gaps([], e5_embedder, lambda q: None) == []


@pytest.fixture
def running_e5(
    tmp_path: Path, corpus_dir: Path, stub: SlackStub, e5_model_dir: Path
) -> Iterator[RunningApp]:
    settings = make_settings(tmp_path, corpus_dir, stub.url)
    settings.embedder = "e5"
    settings.model_dir_override = e5_model_dir.parent
    services = build_services(settings)
    services.answers.start()
    app = RunningApp(services, stub)
    yield app
    app.close()


def log(services: Services, user: str, question: str, label: str) -> int:
    answer = {"confidence": label, "reason": "r", "passages": [], "corpus_version": 1}
    return services.records.log_answer(
        surface="mention", user_id=user, channel_id="C1", question=question, answer=answer
    )


def test_rumor_gaps_for_admins(running_e5: RunningApp) -> None:
    services = running_e5.services
    for n, (user, question) in enumerate(
        [
            ("U1", "what did mark chen reply to tworek"),
            ("U1", "what did mark chen reply to tworek"),
            ("U2", "mark chen response to jerry tworek"),
            ("U3", "best pizza in sf? <!channel>"),
        ]
    ):
        log(services, user, question, "none" if n == 3 else "low")
    downvoted = log(services, "U5", "why was Opus 3.5 not released?", "high")
    services.records.explain(downvoted, "U6", "outdated", None)
    log(services, "U7", "what is Orion?", "high")  # answered well: not a gap

    assert "only admins" in ack_text(running_e5.command("gaps", user_id="U1"))
    assert "Grouping" in ack_text(running_e5.command("gaps", user_id=ADMIN))
    (report,) = running_e5.stub.wait_for(f"response/{ADMIN}", timeout=60)
    text = report["text"]
    assert "4 question(s) answered low or none or given a 👎, in 3 group(s)" in text
    assert text.index("*1. 2 question(s)*") < text.index("mark chen") < text.index("pizza")
    assert "Outdated 1" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "Nearest source:" in text
    assert "what is Orion" not in text
