"""Search and answer composition through the real pipeline (hashing embedder: no model)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.answers.conversation import follow_up
from retrieval.answers.engine import AnswerEngine, NotReady
from retrieval.answers.quoting import best_sentence, excerpt, units
from retrieval.corpus.ingest import CorpusIngestor
from retrieval.corpus.store import CorpusStore
from retrieval.db.session import make_engine, session_factory, upgrade
from retrieval.embedding.calibration import Calibration
from retrieval.embedding.embedders import HashingEmbedder
from retrieval.index import EmbeddingCache, IndexPublisher
from retrieval.search.analysis import analyse
from retrieval.text.tokens import latin_tokens, tokenize


def make_engine_for(
    corpus_dir: Path, tmp_path: Path, embedder=None, calibration: Calibration | None = None
) -> AnswerEngine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    store = CorpusStore(sessions)
    publisher = IndexPublisher(tmp_path / "indexes", store, EmbeddingCache(sessions))
    return AnswerEngine(
        store,
        CorpusIngestor(sessions),
        publisher,
        embedder or HashingEmbedder(),
        corpus_dir,
        calibration=calibration,
    )


@pytest.fixture
def answers(corpus_dir: Path, tmp_path: Path) -> AnswerEngine:
    engine = make_engine_for(corpus_dir, tmp_path)
    engine.start()
    return engine


def test_versions_and_names_are_tokens() -> None:
    assert latin_tokens("Why was Opus 3.5 not released? GPT‑4o, o3 and Q*") == [
        "opus",
        "3.5",
        "released",
        "gpt-4o",
        "gpt",
        "4o",
        "o3",
        "q*",
    ]
    assert "预训练" in tokenize("OpenAI仍然没有启动GPT-5的预训练")


def test_engine_is_not_ready_before_start(corpus_dir: Path, tmp_path: Path) -> None:
    engine = make_engine_for(corpus_dir, tmp_path)
    with pytest.raises(NotReady):
        engine.ask("anything")
    engine.start()  # an empty database is ingested first
    assert engine.ready and engine.snapshot.version == 1


def test_unknown_names_get_none_and_no_quotes(answers: AnswerEngine) -> None:
    answer = answers.ask("When will GPT-7 be released?")
    assert answer.confidence == "none"
    assert "GPT-7" in answer.reason
    assert answer.quotes == []
    assert answers.ask("Llama 4 有多少参数？").confidence == "none"


def test_versions_and_calendar_words_are_read_as_people_write_them(answers: AnswerEngine) -> None:
    assert _analysis(answers, "is gpt5 gonna be a big jump like 3 to 4").entities == ("gpt5",)
    shipped = _analysis(answers, "What did Anthropic ship in October 2024 instead of Opus?")
    assert shipped.entities == ("Anthropic", "Opus") and not shipped.missing_entities
    assert _analysis(answers, "when does llama-4 come out").missing_versions == ("llama-4",)


def test_words_the_corpus_never_uses_do_not_outweigh_what_it_matches(
    answers: AnswerEngine,
) -> None:
    plain = _analysis(answers, "verifier")
    chatty = _analysis(answers, "whats this verifier thingamajig")
    text = "据悉，内部正在开发一种“通用验证器”。"
    # "thingamajig" is in no passage: it counts, but as little as the least rare known idea.
    assert plain.coverage(text) == 1.0
    assert 0.5 <= chatty.coverage(text) < 1.0


def test_partly_unknown_names_cap_the_label(answers: AnswerEngine) -> None:
    answer = answers.ask("Did Gemini 3 beat Opus 3.5?")
    assert answer.confidence == "low" and "Gemini 3" in answer.reason


def test_quotes_are_verbatim_passages(answers: AnswerEngine) -> None:
    answer = answers.ask("Orion 为什么失败？")
    texts = {p.text for p in answers.snapshot.passages}
    assert answer.quotes
    for quote in answer.quotes:
        assert quote.text in texts
        assert quote.highlight in quote.text
    assert answer.corpus_version == answers.snapshot.version
    assert answer.as_of is not None


def test_no_near_identical_quotes(answers: AnswerEngine) -> None:
    answer = answers.ask("gpt2-chatbot 到底是什么模型？")
    squashed = [re.sub(r"\s+", "", q.text) for q in answer.quotes]
    assert len(set(squashed)) == len(squashed)


def test_chinese_lexical_match_ranks_first(answers: AnswerEngine) -> None:
    answer = answers.ask("什么是通用验证器？")
    assert any("通用验证器" in q.text for q in answer.quotes[:2])


def test_english_question_reaches_chinese_text_through_expansion(answers: AnswerEngine) -> None:
    snap = answers.snapshot
    analysis = analyse("What is distillation?", snap.names, answers.searcher.expander)
    assert "蒸馏" in analysis.tokens
    answer = answers.ask("What is distillation?")
    assert any("蒸馏" in q.text for q in answer.quotes[:3])


def test_best_sentence_prefers_the_covering_one(answers: AnswerEngine) -> None:
    snap = answers.snapshot
    analysis = analyse("通用验证器", snap.names, answers.searcher.expander)
    text = "第一句话与此无关。据悉，内部正在开发一种“通用验证器”。最后一句也无关。"
    assert best_sentence(text, analysis) == "据悉，内部正在开发一种“通用验证器”。"


def test_reload_swaps_to_the_new_corpus(answers: AnswerEngine, corpus_dir: Path) -> None:
    old = answers.snapshot
    (corpus_dir / "005_new.txt").write_text(
        "Zorblax 9 发布传闻\n\n据报道，Zorblax 9 模型将在明年发布，这是一个全新的测试传闻。\n"
    )
    report = answers.reload(triggered_by="U123")
    assert report.ingest.added == ["005_new.txt"]
    assert answers.snapshot.version > old.version
    assert answers.ask("When will Zorblax 9 be released?").confidence != "none"
    # The old snapshot is untouched: a query that started on it finishes on it.
    assert all(p.source_id != "005_new.txt" for p in old.passages)


def _analysis(answers: AnswerEngine, question: str):
    snapshot = answers.snapshot
    return analyse(question, snapshot.names, answers.searcher.expander)


def test_a_restated_question_is_never_the_key_sentence(answers: AnswerEngine) -> None:
    text = "所以，Orion为何会失败？最核心的原因就在于，团队摸到了天花板。这不光导致了延期。"
    key = best_sentence(text, _analysis(answers, "Why did Orion fail?"))
    assert key == "最核心的原因就在于，团队摸到了天花板。"


def test_how_much_is_answered_by_a_number(answers: AnswerEngine) -> None:
    text = "近日，OpenAI又获得了一笔巨额融资。据悉，OpenAI已提前数月筹集了83亿美元资金。"
    key = best_sentence(text, _analysis(answers, "How much money did OpenAI raise?"))
    assert "83亿美元" in key


def test_the_dense_model_decides_between_equally_covering_sentences(
    answers: AnswerEngine,
) -> None:
    text = "Orion 的训练开始了。Orion 的表现令人失望。"
    analysis = _analysis(answers, "What happened to Orion?")
    assert best_sentence(text, analysis, [0.80, 0.86]) == "Orion 的表现令人失望。"
    assert best_sentence(text, analysis, [0.86, 0.80]) == "Orion 的训练开始了。"


def test_transcript_quotes_are_cut_at_phrase_boundaries_around_the_key() -> None:
    phrases = [f"第{i}段话说了一些内容" for i in range(40)]
    text = " ".join(phrases)
    key = "第20段话说了一些内容 第21段话说了一些内容"
    shown = excerpt(text, key)
    assert shown is not None and key in shown
    assert shown.startswith("…") and shown.endswith("…") and len(shown) <= 162
    inner = shown.strip("…")
    assert inner in text and set(inner.split()) <= set(phrases)  # whole phrases, verbatim
    assert excerpt("短的一段 没有标点 " * 3, "短的一段") is None  # short: shown whole
    assert excerpt("第一句。" * 60, "第一句。") is None  # prose: shown whole


def test_an_english_quotation_is_quoted_in_whole_sentences() -> None:
    # Long, with many spaces, but not subtitle lines: its key sentence is a sentence, not a
    # run of words cut mid-clause ("start that model," Altman, the chief executive of…).
    quoted = (
        '"We have a lot of work to do before we start that model," Altman, the chief'
        " executive of OpenAI, said at a conference hosted by Indian newspaper Economic Times."
        " \"We're working on the new ideas that we think we need for it, but we are certainly"
        ' not close to it to start." “在启动该模型之前，我们还有很多工作要做，”奥特曼说。'
    )
    first, second = units(quoted)
    assert first.startswith('"We have a lot') and first.endswith("Economic Times.")
    assert second.startswith("\"We're working") and "certainly not close to it" in second
    assert excerpt(quoted, second) is None  # shown whole


def test_units_keep_a_lead_in_with_what_it_introduces() -> None:
    assert units("前面一句。这间接指的是：自我提升。后面一句。") == [
        "前面一句。",
        "这间接指的是：自我提升。",
        "后面一句。",
    ]


def test_follow_up_takes_the_topic_only_when_it_names_none(answers: AnswerEngine) -> None:
    earlier = ["why was Opus 3.5 not released?"]
    taken = follow_up("who reported that?", earlier, lambda q: _analysis(answers, q))
    assert taken is not None and taken.topic == "Opus 3.5"
    assert taken.searched == "who reported that? Opus 3.5"
    assert follow_up("what about GPT-5?", earlier, lambda q: _analysis(answers, q)) is None
    assert follow_up("谁报道的？", earlier, lambda q: _analysis(answers, q)) is not None
    standalone = "what did the data wall mean for pretraining"
    assert follow_up(standalone, earlier, lambda q: _analysis(answers, q)) is None
    answer = answers.ask("when was that?", earlier)
    assert answer.question == "when was that?" and answer.context == "Opus 3.5"
    assert answer.to_json()["searched"] == "when was that? Opus 3.5"


def test_transcript_runs_near_the_end_are_not_cut_short() -> None:
    transcript = " ".join(f"第{i}段话说了些内容" for i in range(12))
    runs = units(transcript)
    assert runs[-1].endswith("第11段话说了些内容")
    assert min(len(r) for r in runs) >= 30  # never "Opus 3.5" alone


def test_an_english_idea_is_found_by_its_stem(answers: AnswerEngine) -> None:
    analysis = _analysis(answers, "what are the takeaways for people working in AI")
    text = "如果你是 AI 从业者,这件事至少有三个 takeaway:第一……"
    assert "takeaways" not in analysis.judge(text)[1]
    assert "people" in analysis.judge(text)[1]  # a stem is a form of the word, not a synonym
    releasing = _analysis(answers, "when is it releasing")
    assert releasing.ideas == ("releasing",)
    assert releasing.judge("Orion was released in February") == (1.0, ())


def _dated(corpus_dir: Path, name: str, when: str, text: str) -> None:
    (corpus_dir / name).write_text(
        f"---\ntitle: Orion 训练 {when}\noutlet: Wire {when[:4]}\ndate: {when}\n---\n\n{text}\n"
    )


def test_a_question_about_now_puts_the_newest_answer_first(
    answers: AnswerEngine, corpus_dir: Path
) -> None:
    # The older passage matches the question better, so relevance alone would put it first.
    _dated(
        corpus_dir,
        "005_old.md",
        "2024-01-10",
        "Orion 训练最新进展：Orion 的训练进展缓慢，最新的训练遇到困难。",
    )
    _dated(
        corpus_dir, "006_new.md", "2026-11-20", "Orion 训练进展：Orion 的训练已经完成，进展顺利。"
    )
    answers.reload("test")
    answers.stale_days = 100_000

    hits = answers.searcher.search(answers.snapshot, "Orion 训练最新进展？").hits
    assert hits[0].source.id == "005_old.md"
    answer = answers.ask("Orion 训练最新进展？")
    assert answer.newest == (
        "Newest source on this: 2026-11-20 (Wire 2026); nothing newer in the corpus"
    )
    shown = answer.shown()
    assert (shown[0].published.isoformat(), shown[0].older) == ("2026-11-20", False)
    dates = [q.published for q in shown]
    assert dates == sorted(dates, reverse=True)
    assert next(q for q in shown if q.source_file == "005_old.md").older
    assert "out of date" not in answer.reason

    answers.stale_days = 5  # the newest source is older than that
    assert "so the corpus may be out of date" in answers.ask("Orion 训练最新进展？").reason

    # Not about now: no date line, nothing marked older.
    plain = answers.ask("Orion 的训练遇到困难了吗？")
    assert plain.newest is None and not any(q.older for q in plain.quotes)
