"""What a corpus change does to a followed topic's picture, in words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retrieval.answers.engine import AnswerEngine
from retrieval.changes.news import is_about, topic_news
from retrieval.corpus.store import CorpusChange, GonePassage, PassageRow, SourceInfo
from tests.retrieval.test_answer import make_engine_for


@pytest.fixture
def answers(corpus_dir: Path, tmp_path: Path) -> AnswerEngine:
    engine = make_engine_for(corpus_dir, tmp_path)
    engine.start()
    return engine


def source(sid: str, origin: str, tier: str, published: date | None) -> SourceInfo:
    return SourceInfo(
        sid, f"title {sid}", origin, None, None, published, "zh", "report", 1, tier, origin
    )


def passage(pid: str, sid: str, text: str) -> PassageRow:
    return PassageRow(pid, sid, 0, None, text, f"hash-{pid}")


def change(new=(), gone=()) -> CorpusChange:
    return CorpusChange(2, None, (), (), (), tuple(new), tuple(gone))


def test_a_passage_is_about_a_topic_only_with_all_its_names(answers: AnswerEngine) -> None:
    opus = answers.analyse("Opus 3.5")
    assert is_about(opus, "Anthropic 的 Opus 3.5 没有发布")
    assert not is_about(opus, "Anthropic 的 Opus 模型") and not is_about(opus, "GPT-3.5 很快")
    assert is_about(answers.analyse("orion"), "Orion 的表现令人失望")


def test_the_picture_names_what_the_change_adds(answers: AnswerEngine) -> None:
    sources = {
        "old": source("old", "The Information", "report", date(2025, 8, 3)),
        "new": source("new", "Bloomberg", "report", date(2025, 9, 1)),
    }
    before = passage("p1", "old", "Orion 的表现令人失望。")
    added = passage("p2", "new", "OpenAI 表示：“Orion 的训练已经结束，成本很高。”")
    news = topic_news(
        "Orion", answers.analyse("Orion"), change([added]), (before, added), sources, lambda _: None
    )
    assert news is not None and news.new == (added,)
    said = " | ".join(news.picture)
    assert "first on-record statement" in said
    assert "a second independent origin now reports on it (Bloomberg)" in said
    assert "newer than everything quoted before on it (latest until now: 2025-08-03)" in said

    nothing = topic_news(
        "Opus 3.5",
        answers.analyse("Opus 3.5"),
        change([added]),
        (before, added),
        sources,
        lambda _: None,
    )
    assert nothing is None


def test_the_picture_says_what_left(answers: AnswerEngine) -> None:
    gone_source = source("gone", "Sam Altman", "on-record", None)
    gone = GonePassage(gone_source, None, "Altman 说：“Orion 将在今年发布，我们很满意。”")
    news = topic_news(
        "Orion", answers.analyse("Orion"), change(gone=[gone]), (), {}, lambda _: None
    )
    assert news is not None
    assert news.picture == (
        "1 passage(s) on it are no longer quoted (from title gone)",
        "no on-record statement on it is left in the corpus",
    )


def test_an_english_topic_matches_a_rendering(answers: AnswerEngine) -> None:
    sources = {"new": source("new", "Bloomberg", "report", None)}
    added = passage("p2", "new", "猎户座模型的训练已经结束。")
    english = {"hash-p2": "Training of the Orion model has finished."}
    news = topic_news(
        "Orion", answers.analyse("Orion"), change([added]), (added,), sources, english.get
    )
    assert news is not None and news.picture == ("the corpus's first source on it",)
