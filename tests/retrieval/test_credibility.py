"""Tiers, origins and corroboration; timelines; the span note."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from retrieval.answers.answer import Evidence, Quote, decide, span_note
from retrieval.answers.credibility import (
    Support,
    Voice,
    describe,
    origins,
    passage_tier,
    passage_voice,
)
from retrieval.answers.engine import AnswerEngine
from retrieval.corpus.store import SourceInfo
from tests.retrieval.test_answer import make_engine_for


def support(origin: str, tier: str, outlet: str | None = None) -> Support:
    return Support(origin=origin, tier=tier, outlet=outlet or origin)


def strong_evidence(*supports: Support) -> Evidence:
    return Evidence(
        entities=("Orion",),
        missing_entities=(),
        has_hits=True,
        lexical_match=True,
        agreement=0,
        coverage=0.9,
        supports=supports,
    )


def test_a_relayed_report_is_not_a_second_source() -> None:
    relays = [
        support("The Information", "report", "cnBeta"),
        support("The Information", "report", "36Kr"),
    ]
    assert origins(relays) == ["The Information"]
    assert describe(relays) == (
        "reported by The Information (via 36Kr, cnBeta); no independent confirmation"
    )
    independent = [support("The Information", "report", "cnBeta"), support("Bloomberg", "report")]
    assert describe(independent) == "2 independent reports agree (The Information, Bloomberg)"


def test_label_needs_a_report_or_a_statement_for_high() -> None:
    assert decide(strong_evidence(support("The Information", "report", "cnBeta")))[0] == "high"
    assert decide(strong_evidence(support("Sam Altman", "on-record")))[0] == "high"
    label, reason = decide(strong_evidence(support("Alberto Romero", "retelling", "最佳拍档")))
    assert label == "medium" and reason.startswith("only a retelling of Alberto Romero")
    two_analyses = strong_evidence(support("A", "analysis"), support("B", "analysis"))
    label, reason = decide(two_analyses)
    assert label == "medium" and "none a direct report" in reason


def test_weak_evidence_stays_low_whatever_the_tier() -> None:
    weak = replace(strong_evidence(support("The Information", "report")), agreement=9, coverage=0.2)
    assert decide(weak)[0] == "low"
    unknown = replace(weak, entities=("GPT-7",), missing_entities=("GPT-7",))
    unknown = replace(unknown, missing_versions=("GPT-7",))
    assert decide(unknown) == ("none", "nothing in the corpus mentions GPT-7")


def test_both_rankings_agreeing_count_when_the_words_match_only_in_part() -> None:
    partial = replace(strong_evidence(), agreement=0, coverage=0.35)
    label, reason = decide(partial)
    assert label == "medium" and "both rank the first quote first" in reason
    assert decide(replace(partial, agreement=1))[0] == "low"  # one ranking alone is not enough
    assert decide(replace(partial, coverage=0.2))[0] == "low"


def test_a_name_the_corpus_lacks_warns_but_keeps_the_quotes() -> None:
    # "Did IBM's Deep Blue beat Kasparov?": the corpus covers Deep Blue, not IBM.
    strong = strong_evidence(support("The Information", "report"))
    lacking = replace(strong, entities=("IBM", "Deep", "Blue"), missing_entities=("IBM",))
    label, reason = decide(lacking)
    assert label == "low" and "never mentions IBM" in reason
    only_unknown = replace(strong, entities=("France",), missing_entities=("France",))
    assert decide(only_unknown)[0] == "low"  # a plain name: a warning, not "none"


def test_comments_in_an_article_are_not_its_reporting() -> None:
    source = SourceInfo(
        id="004.txt",
        title="OpenAI CEO 大爆料",
        outlet="AI范儿",
        author=None,
        url=None,
        published=None,
        language="zh",
        kind="report",
        passage_count=9,
        tier="report",
        origin="TechCrunch",
    )
    comment = "“这不过是营销，他们根本还没有开始训练。”一位网友说。"
    voice = passage_voice(comment, "Slashdot网友评论", source)
    assert voice == Voice("comment", "anonymous commenters (Slashdot网友评论)")
    assert passage_voice(comment, "正文", source) == Voice("on-record", "TechCrunch")
    reason = describe([support(voice.origin, voice.tier, "AI范儿")])
    assert reason.startswith("only anonymous commenters") and "TechCrunch" not in reason
    label, _ = decide(strong_evidence(support(voice.origin, voice.tier, "AI范儿")))
    assert label == "medium"  # comments never make a high answer


def test_quotes_inside_reports_are_on_record() -> None:
    quoted = '"We have a lot of work to do before we start that model," Altman said.'
    assert passage_tier(quoted, "report") == "on-record"
    assert (
        passage_tier("奥特曼表示：“在启动该模型之前，我们还有很多工作要做。”", "report")
        == "on-record"
    )
    assert passage_tier(quoted, "retelling") == "retelling"  # second-hand stays second-hand
    assert passage_tier("No quotation here, only reporting.", "report") == "report"


def quote(published: date | None) -> Quote:
    return Quote("p", "f", "t", None, None, published, None, None, "x", "x", 1.0)


def test_span_note_only_past_a_year() -> None:
    assert span_note([quote(date(2025, 1, 1)), quote(date(2025, 8, 1))]) is None
    note = span_note([quote(date(2025, 8, 3)), quote(None), quote(date(2023, 6, 8))])
    assert note == "sources span 2023-06 to 2025-08; later reports may supersede earlier ones"


@pytest.fixture
def answers(corpus_dir: Path, tmp_path: Path) -> AnswerEngine:
    engine = make_engine_for(corpus_dir, tmp_path)
    engine.start()
    return engine


def test_timeline_is_in_date_order_with_unknown_dates_last(answers: AnswerEngine) -> None:
    entries = answers.timeline("GPT-5")
    assert len(entries) >= 4
    dated = [e.published for e in entries if e.published]
    assert dated == sorted(dated)
    first_undated = next(i for i, e in enumerate(entries) if e.published is None)
    assert all(e.published is None for e in entries[first_undated:])
    assert {e.tier for e in entries} <= {"on-record", "report", "analysis", "retelling"}
    assert all("GPT-5" in e.quote.replace("GPT5", "GPT-5") or e.quote for e in entries)
    assert answers.timeline("GPT-7") == []


def test_seed_sources_carry_tiers_and_origins(answers: AnswerEngine) -> None:
    sources = {s.id[:3]: s for s in answers.snapshot.sources.values()}
    assert sources["003"].tier == "report" and sources["003"].origin == "The Information"
    assert sources["002"].tier == "retelling" and "Alberto Romero" in sources["002"].origin
    assert sources["004"].origin == "TechCrunch"


def test_answers_show_span_and_tiers(answers: AnswerEngine) -> None:
    answer = answers.ask("Has OpenAI started pretraining GPT-5? What happened to Orion?")
    data = answer.to_json()
    assert all(
        p["tier"] in {"on-record", "report", "analysis", "retelling"} for p in data["passages"]
    )
    # Quotes spanning years stay best first (the best answers); each shows its date instead.
    scores = [q.score for q in answer.shown()]
    assert scores == sorted(scores, reverse=True)


def test_what_the_quotes_leave_unsaid_caps_the_label() -> None:
    # "What did Mark Chen reply to Tworek?": the quotes have the complaint, not a reply.
    strong = strong_evidence(support("The Information", "report", "cnBeta"))
    assert decide(strong)[0] == "high"
    no_reply = replace(strong, entities=("Chen",), unanswered=("reply",))
    label, reason = decide(no_reply)
    assert label == "medium" and reason.endswith("no quote mentions “reply”")
    # A name the corpus has but no quote mentions ("API" beside GPT-5's price): low.
    no_api = replace(strong, entities=("GPT-5", "API"), unanswered=("API", "cost"))
    assert decide(no_api) == ("low", "no quote mentions “API”; the quotes are only related")
