"""EmbeddingGemma as the product runs it (8-bit ONNX): the same embeddings as the reference,
the dev set's bar, labels that say when the sources do not answer, a new Chinese source found
by an English question right after a reload, and gaps that group paraphrases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.store.answers import WeakAnswer
from bot.store.gaps import find_gaps
from retrieval.answers.evaluation import evaluate, load_questions
from retrieval.embedding.calibration import calibration_for
from tests.retrieval.test_answer import make_engine_for

pytestmark = pytest.mark.slow
DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"
CALIBRATION = calibration_for("gemma")


@pytest.fixture(scope="module")
def engine(gemma_embedder, tmp_path_factory: pytest.TempPathFactory):
    """One engine on a copy of the corpus, shared by the read-only tests here."""
    import shutil

    root = tmp_path_factory.mktemp("gemma-engine")
    corpus = root / "corpus"
    shutil.copytree(Path(__file__).resolve().parents[2] / "corpus", corpus)
    answers = make_engine_for(corpus, root, gemma_embedder, CALIBRATION)
    answers.start()
    return answers


def test_onnx_embeddings_match_sentence_transformers(gemma_model_dir: Path, gemma_embedder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(gemma_model_dir), device="cpu", local_files_only=True)
    questions = ["why was opus 3.5 not released", "GPT-4 有多少参数？"]
    passages = [
        "OpenAI仍然没有启动GPT-5的预训练。",
        "Anthropic 发现 3.5 Opus 在评估中的性能优于旧的版本",
    ]
    ours = np.vstack(
        [gemma_embedder.embed_queries(questions), gemma_embedder.embed_passages(passages)]
    )
    theirs = np.vstack(
        [
            reference.encode(questions, prompt_name="query", normalize_embeddings=True),
            reference.encode(passages, prompt_name="document", normalize_embeddings=True),
        ]
    )
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, cosines  # 8-bit weights: measured ≥ 0.9996


@pytest.mark.skipif(not DEV.exists(), reason=f"{DEV} is not beside the project")
def test_dev_set_quality(engine) -> None:
    report = evaluate(load_questions(DEV), engine.ask)
    metrics = report.metrics()
    assert metrics["R@1"] >= 0.82, report.rows  # 0.86 measured; e5's product: 0.79
    assert metrics["R@3"] >= 0.96, report.rows
    assert metrics["unanswerable_labelled_low_or_none"] == metrics["unanswerable"]
    assert metrics["overconfident"] == 0


def test_an_on_topic_question_the_sources_do_not_answer_is_low_and_says_why(engine) -> None:
    answer = engine.ask("How many parameters does Orion have?")
    assert answer.confidence == "low"
    assert answer.reason == "the sources discuss “Orion”, but no quote gives a parameter count"
    assert answer.quotes  # the related passages are still shown


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # The quotes hold a figure, but it is the question's own (400亿 = 40b).
        (
            "how much of the 40b round is softbank covering",
            "the quotes are on the question's topic, but none gives a number",
        ),
        # The executive is anonymous in the source; "OpenAI" (oai) is the question's name.
        ("which openai employee told investors about gpt-8", "no quote gives a name"),
        # Figures nearby, none of them said of parameters.
        ("what is gpt2-chatbot's parameter count", "no quote gives a parameter count"),
    ],
)
def test_quotes_that_state_something_else_of_the_kind_are_low(engine, question, reason):
    answer = engine.ask(question)
    assert answer.confidence == "low"
    assert answer.reason.endswith(reason), answer.reason


def test_a_duration_answers_how_many_months(engine) -> None:
    answer = engine.ask("how many months did openai spend on gpt-4 before releasing it")
    assert answer.confidence in ("medium", "high"), answer.reason
    assert "六个多月" in answer.quotes[0].highlight


def test_a_question_off_the_corpus_topics_is_none(engine) -> None:
    for question in ("What is the capital of France?", "best pizza in sf?"):
        answer = engine.ask(question)
        assert (answer.confidence, answer.reason) == (
            "none",
            "nothing in the sources is about this",
        )
        assert answer.evidence is not None
        assert answer.evidence.top_similarity < CALIBRATION.off_topic_below


def test_a_question_the_sources_answer_keeps_its_label(engine) -> None:
    answer = engine.ask("How many parameters does GPT-4 have?")
    assert answer.confidence in ("medium", "high"), answer.reason
    assert "1.8" in answer.quotes[0].text or "1.8" in answer.quotes[0].highlight


NEW_SOURCE = """\
---
title: 传闻：OpenAI 将在东京开设第一家海外实体零售店
outlet: 测试日报
published: 2026-12-01
kind: report
---

据三位知情人士透露，OpenAI 计划于明年春天在东京银座开设其第一家海外实体零售店，
店内将展示 ChatGPT 的语音设备原型，并提供面对面的企业客户咨询服务。

知情人士称，选址东京是因为日本企业客户对生成式 AI 的采购增长最快。
"""


def test_a_new_chinese_source_answers_english_questions_right_after_a_reload(
    gemma_embedder, corpus_dir: Path, tmp_path: Path
) -> None:
    answers = make_engine_for(corpus_dir, tmp_path, gemma_embedder, CALIBRATION)
    answers.start()
    (corpus_dir / "005_tokyo_store.md").write_text(NEW_SOURCE, encoding="utf-8")
    answers.reload("test")
    assert answers.english is None  # no English rendering of it exists: Chinese only
    answer = answers.ask("is openai opening a physical store in tokyo?")
    assert answer.quotes[0].source_file == "005_tokyo_store.md"
    assert answer.confidence != "none"


def test_gaps_group_paraphrases_and_keep_other_questions_apart(gemma_embedder) -> None:
    now = datetime.now(UTC)

    def weak(user: str, question: str) -> WeakAnswer:
        return WeakAnswer(user, question, now, "low", ())

    asked = [
        weak("U1", "what is the price of the GPT-5 API"),
        weak("U2", "how much does gpt5 api cost per month"),
        weak("U3", "when will gpt-5 be released"),
    ]
    gaps = find_gaps(asked, gemma_embedder, lambda q: None, CALIBRATION.gap_distance)
    assert sorted(g.size for g in gaps) == [1, 2]
    assert set(gaps[0].examples) == {asked[0].question, asked[1].question}


@pytest.mark.parametrize(
    ("chinese", "english", "shown"),
    [
        (  # faithful: shown
            "Ego 总结称 我认为 GPT-4o 和 Claude 3.5 Sonnet 很可能都是从更大的模型当中蒸馏而来的",
            "Ego summarized that GPT-4o and Claude 3.5 Sonnet are likely derived from larger"
            " models through distillation.",
            True,
        ),
        (
            "最近 专注于 AI 领域的分析师 Alberto Romero 曝出 其实 OpenAI 的GPT-5 已经真实存在",
            "Recently, Alberto Romero, an analyst focused on AI, has revealed that OpenAI's"
            " GPT-5 actually exists.",
            True,
        ),
        (  # whole sentences invented around the one the Chinese has
            "结果它的性能令人大失所望，最终只能被降级成GPT-4.5，在今年2月推出。",
            "The performance of Orion was disappointing compared to May's flagship model GPT-4o."
            " After being quietly launched, GPT-4.5 quickly faded from public view. It was only"
            " upgraded to GPT-4.5 in February this year.",
            False,
        ),
        (  # a fragment given a sentence of the model's own
            "推向大众创造不了相应的经济价值",
            "The creation of value for the public cannot be achieved through the dissemination"
            " of such rumors.",
            False,
        ),
    ],
)
def test_the_guard_reads_meaning_with_the_aligner(
    gemma_embedder, chinese: str, english: str, shown: bool
) -> None:
    from retrieval.translation.guard import Aligner
    from retrieval.translation.render import verdict

    aligner = Aligner(
        gemma_embedder.embed_similar, CALIBRATION.align_least, CALIBRATION.align_sentence_least
    )
    result = verdict(chinese, english, aligner)
    assert result.ok is shown, result.problems
