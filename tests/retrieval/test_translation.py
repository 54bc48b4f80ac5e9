"""English renderings: the guard, cutting, retries, the model file, storage and the worker."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from retrieval.corpus.passages import PassageDraft, is_transcript
from retrieval.corpus.store import PassageRow, SourceInfo
from retrieval.db.tables import Translation
from retrieval.text.tokens import has_cjk
from retrieval.translation import model as model_file
from retrieval.translation.guard import check, negations, strip_preamble
from retrieval.translation.numbers import explicit, stated
from retrieval.translation.render import NO_ENGLISH, ON_ITS_WAY, PENDING, english_of, render
from retrieval.translation.store import TranslationStore, text_hash
from retrieval.translation.translator import FakeTranslator, Interrupted, user_message
from retrieval.translation.units import context_of, restore, units
from retrieval.translation.worker import (
    jobs_for,
    passage_job,
    translate_in_parallel,
    translate_jobs,
    translate_shown,
)

ROOT = Path(__file__).resolve().parents[2]


# -- the guard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "english", "ok"),
    [
        ("估值达到3亿美元。", "valued at 300 million dollars.", True),
        ("估值达到3亿美元。", "valued at 3 billion dollars.", False),  # 亿 is 10^8
        ("有 1.76 万亿参数", "has 1.76 trillion parameters", True),
        ("83亿", "8.3 billion", True),
        ("10月22日发布", "released on October 22", True),
        ("10月22日发布", "released on October 20", False),
        ("2024年5月", "in May 2024", True),
        ("GPT-4o 更便宜", "GPT-40 is cheaper", False),  # a version mangled into a number
        ("gpt2-chatbot 出现了", "the GPT-2 chatbot appeared", True),
        ("GPT-5 还没有启动", "GPT-5 has not started yet", True),
        ("GPT-5 还没有启动", "GPT-5 has started", False),  # the negation dropped
        ("并未发布", "was never released", True),
        ("不过效果很好", "but it works well", True),  # 不过 is "but"
        ("未来会发布", "will be released in the future", True),  # 未来 is "future"
        ("还有没有下一档?", "is there a next level?", True),  # an A-not-A question
        ("模型很强。", "这个模型 is strong.", False),  # Chinese left untranslated
        ("模型很强。", "", False),
        ("这一轮融资3亿美元", "the round raised 3 billion dollars", False),
        ("11月11日 彭博社报道", "On October 11, Bloomberg reported", False),  # wrong month
        ("11月11日 彭博社报道", "On November 11, Bloomberg reported", True),
        ("训练花了一年半", "training took one year", False),  # 一年半 is 1.5 years
        ("训练花了一年半", "training took 1.5 years", True),
        ("Dario 认为换种训练方式可以改善结果", "He thinks another method could help", False),
        ("奥特曼表示 GPT-5 还没有开始训练", "Altman said GPT-5 training has not started", True),
        ("奥特曼表示 GPT-5 还没有开始训练", "Musk said GPT-5 training has not started", False),
        ("所以称计划仍在继续", "So the plan is still ongoing.", False),  # 称: someone says so
        ("所以称计划仍在继续", "So he said the plan is still ongoing.", True),
        ("它堪称最强的模型", "It can be called the strongest model.", True),  # 堪称: no one says
        ("GPT-5 已经存在了吗？", "GPT-5 already exists.", False),  # a question made a claim
        ("GPT-5 已经存在了。", "Does GPT-5 already exist?", False),
    ],
)
def test_guard(source: str, english: str, ok: bool) -> None:
    assert check(source, english).ok is ok, check(source, english)


# Renderings the 1.5B model made of this corpus, graded wrong by a reader of both languages
# (issue 26), and what the guard says of each.
@pytest.mark.parametrize(
    ("chinese", "english", "problem"),
    [
        (  # a condition made a fact
            "因为假如有 3 亿人在使用你的 AI 产品 那短短一周的运营开支"
            " 就会直接让绝大多数企业资金链断裂",
            "Because there are 300 million people using your AI product, the operating costs for"
            " a single week will directly cause most companies to break their funding chains.",
            "a condition (if) dropped",
        ),
        (  # "almost exhausted" made "exhausted"
            "根据马斯克和 Ilya Sutskever 前段时间的说明"
            " 各家 AI 厂商几乎耗尽了可用来预训练的全部高质量数据源",
            "According to Musk and Ilya Sutskever's recent statements, most AI companies have"
            " exhausted all high-quality data sources available for pretraining.",
            "a hedge (almost) dropped",
        ),
        (  # an invented year for "last autumn"
            "去年秋天，第一个推理模型正式推出，它就是o1。",
            "In the fall of 2023, the first reasoning model was officially released, which was o1.",
            "year 2023 not in the source",
        ),
        (  # the comparison's other side swapped for the subject
            "跟5月发布的旗舰模型GPT-4o相比，Orion本该有巨大飞跃。",
            "Compared to the flagship model Orion that was released in May, Orion should have had"
            " a massive leap.",
            "name GPT-4o missing",
        ),
        (  # the end of 2024 made a day of December
            "24年底，OpenAI利用与o1基础相同的GPT-4o，又推出了推理模型o3。",
            "24 December, OpenAI used the same GPT-4o foundation as o1 to release the reasoning"
            " model o3.",
            "the end of a year dropped",
        ),
        (  # the one who thinks so made the one given up on
            "但是由于性能达不到内外部对Opus 3.5这个名头的期待 他们最终选择放弃 Dario"
            " 认为换种训练方式应该可以改善结果",
            "However, because the performance did not meet the expectations of the external and"
            " internal Opus 3.5 name, they ultimately decided to abandon Dario and believed that"
            " switching to a different training method could improve the results.",
            "Dario no longer the one who says so",
        ),
        (  # 亿 read as a thousand million
            "这一轮融资3亿美元。",
            "The round raised 3 billion dollars.",
            "number 300 missing",
        ),
        (  # "tens of millions" made an exact figure (graded sample, 2026-12-05)
            "OpenAI 已经开发出了 GPT-5 但是决定只在内部运行 因为这样的投资回报"
            " 要远高于将它发布给上千万 ChatGPT 用户",
            "OpenAI has developed GPT-5, but decided to keep it internal rather than release it"
            " to 10 million ChatGPT users, because the investment return would be far higher.",
            "figure 10 million not in the source",
        ),
    ],
)
def test_guard_catches_real_wrong_renderings(chinese: str, english: str, problem: str) -> None:
    result = check(chinese, english)
    assert not result.ok and problem in result.problems, result.problems


def test_guard_names_what_failed() -> None:
    result = check("OpenAI 没有在 2024 年发布 GPT-5。", "OpenAI released GPT-5 in 2023.")
    assert not result.ok
    assert any("2024" in p for p in result.problems)
    assert any("negation" in p for p in result.problems)


def test_negations_count_real_ones_only() -> None:
    assert negations("它没有说明,也不是发布会,并未公开") == 3
    assert negations("不过,未来无论如何都不容小觑") == 0


@pytest.mark.parametrize(
    ("chinese", "written"),
    [
        ("成本约为5亿美元", "成本约为 500 million 美元"),
        ("1.76 万亿参数, 3万人", "1.76 trillion 参数, 30,000 人"),
        ("这一轮融资三亿美元", "这一轮融资 300 million 美元"),
        ("数千亿参数", "hundreds of billions 参数"),
        ("发布给上千万用户", "发布给 tens of millions 用户"),
        ("上亿人, 几万张卡", "hundreds of millions 人, tens of thousands 张卡"),
        ("11 月 13 日 彭博社发表评论", "November 13 彭博社发表评论"),
        ("2024年11月发布", "November 2024 发布"),
        ("他们在5月发布了", "他们在 May 发布了"),
        ("训练花了一年半", "训练花了 1.5 years"),
        ("我们花了六个多月的时间", "我们花了 more than 6 months 的时间"),
        ("3个月后", "3 months 后"),
        ("第0段话没有说 2024 年的事", "第0段话没有说 2024 年的事"),  # a year, not 2024 years
        ("三年后", "3 years 后"),
        ("GPT-4o 有 200 个", "GPT-4o 有 200 个"),  # a version is no amount
        ("第一个模型", "第一个模型"),
    ],
)
def test_amounts_dates_and_durations_reach_the_model_in_english(chinese: str, written: str) -> None:
    # The model renders 亿 as "billion" however it is told; given the value, it copies it.
    assert explicit(chinese) == written


def test_what_a_sentence_states_is_what_a_rendering_must_keep() -> None:
    assert stated("OpenAI 在10月22日筹集了83亿美元") == ["October 22", "8.3 billion"]


def test_preamble_and_wrapping_quotes_are_stripped() -> None:
    assert strip_preamble("Certainly! Here is the translation:\nGPT-5 is late.") == "GPT-5 is late."
    assert strip_preamble('"GPT-5 is late."') == "GPT-5 is late."
    assert strip_preamble("Certainly, here is the English translation:") == ""


# -- units ---------------------------------------------------------------------------------


def test_units_are_sentences_with_their_neighbours_as_context() -> None:
    text = "第一句很长很长很长很长。第二句也很长很长很长!短。最后一句结束了吗?"
    parts = units(text)
    # A very short sentence goes with the next one.
    assert [u.source for u in parts] == [
        "第一句很长很长很长很长。",
        "第二句也很长很长很长!",
        "短。 最后一句结束了吗?",
    ]
    assert context_of(parts, 1) == "第一句很长很长很长很长。 … 短。 最后一句结束了吗?"


TRANSCRIPT = (
    "大家好，这里是最佳拍档 最近 专注于 AI 领域的分析师 Alberto Romero 曝出 其实 OpenAI 的GPT-5"
    " 已经真实存在 推向大众创造不了相应的经济价值 才不公布 他在一篇逻辑链条极为完整的文章"
    " 《This Rumor About GPT-5 Changes Everything》中提出了这样的结论"
)


def test_a_transcript_is_cut_where_the_model_puts_its_sentence_ends() -> None:
    # The model's copy changes a character (曝出 → 爆出) and drops spaces: its sentence ends
    # are still placed on the passage's own characters.
    copy = (
        "大家好，这里是最佳拍档。最近，专注于AI领域的分析师Alberto Romero爆出，"
        "其实OpenAI的GPT-5已经真实存在，推向大众创造不了相应的经济价值才不公布。"
        "他在一篇逻辑链条极为完整的文章"
        "《This Rumor About GPT-5 Changes Everything》中提出了这样的结论。"
    )
    parts = units(TRANSCRIPT, lambda text: copy)
    assert [u.source[:8] for u in parts] == [
        "大家好，这里是最",
        "最近 专注于 A",
        "他在一篇逻辑链条",
    ]
    assert " ".join(u.source for u in parts) == TRANSCRIPT  # nothing lost or changed
    assert parts[1].text.startswith("最近， 专注于 AI") and parts[1].text.endswith("才不公布。")


def test_a_sentence_ends_after_the_transcripts_own_question_mark() -> None:
    text = (
        "于是问题来了，Opus 3.5 去哪了？ Anthropic 阵营似乎压根没有能够跟 GPT-4o 正面抗衡的选手"
        " 这可太奇怪了"
    )
    copy = (
        "于是问题来了，Opus 3.5 去哪了？Anthropic 阵营似乎压根没有能够跟 GPT-4o 正面抗衡的选手。"
        "这可太奇怪了。"
    )
    parts = restore(text, copy) or []
    assert [u.source for u in parts] == [
        "于是问题来了，Opus 3.5 去哪了？",
        "Anthropic 阵营似乎压根没有能够跟 GPT-4o 正面抗衡的选手",
        "这可太奇怪了",
    ]
    assert parts[0].text == "于是问题来了，Opus 3.5 去哪了？"  # no second question mark


def test_a_transcript_copy_that_changed_too_much_falls_back_to_phrases() -> None:
    parts = units(TRANSCRIPT, lambda text: "完全不同的一段话。")
    assert all(len(u.source) <= 60 for u in parts)
    assert " ".join(u.source for u in parts) == TRANSCRIPT


# An article quoting an English source in the original, then in Chinese (seed source 004).
QUOTED = (
    '"We have a lot of work to do before we start that model," Altman, the chief executive'
    " of OpenAI, said at a conference hosted by Indian newspaper Economic Times."
    " \"We're working on the new ideas that we think we need for it, but we are certainly"
    ' not close to it to start." '
    "“在启动该模型之前，我们还有很多工作要做，”OpenAI首席执行官奥特曼在印度报纸《经济时报》"
    "主办的一次会议上说。“我们正在研究，我们认为需要新想法，但我们肯定离启动它还差得很远。”"
)


@pytest.mark.parametrize(
    ("text", "transcript"),
    [
        (TRANSCRIPT, True),
        # Long sentences with many spaces, all beside Latin words: not subtitle lines.
        (QUOTED, False),
        (
            "在 Llama 3 抢尽风头、扎克伯格几乎垄断 AI 话题的背景下,一个极不 OpenAI 风格的事件"
            "发生了:没有博客、没有推文、没有发布会,一个名为“gpt2-chatbot”的模型,悄悄出现在了"
            " LM Arena(原 lmsys.org)的模型列表中。",
            False,
        ),
    ],
)
def test_only_chinese_phrases_apart_by_spaces_are_a_transcript(text: str, transcript: bool):
    assert is_transcript(text) is transcript


def test_english_in_a_passage_is_kept_as_it_is_not_translated() -> None:
    asked: list[str] = []

    class Recording(FakeTranslator):
        def translate(self, text, hint=None, context=None):
            asked.append(text)
            return super().translate(text, hint, context)

    rendering = render(Recording(), QUOTED)
    english = [(zh, en) for zh, en, _ in rendering.segments if not has_cjk(zh)]
    # Whole sentences, not two-word pieces the model would finish ("we are certainly" →
    # "We are certainly not"), and each shown exactly as the article has it.
    assert [zh[:9] for zh, _ in english] == ['"We have ', "\"We're wo"]
    assert all(zh == en for zh, en in english)
    assert asked and all(has_cjk(text) for text in asked)


@pytest.mark.parametrize(
    ("english", "ok"),
    [
        ("we are certainly", True),
        ("We are certainly.", True),  # case and punctuation are not the words
        ("We are certainly not", False),
        ("The English translation is: newspaper", False),
    ],
)
def test_a_unit_already_in_english_passes_only_unchanged(english: str, ok: bool) -> None:
    assert check("we are certainly", english).ok is ok


# -- rendering with retries --------------------------------------------------------------------


class Scripted:
    """Answers from a script per piece: a list of replies, used in order."""

    translator_id = "scripted"

    def __init__(self, replies: dict[str, list[str]], default: str = "fine"):
        self.replies, self.default = replies, default
        self.calls: list[tuple[str, str | None]] = []

    def translate(
        self, text: str, hint: str | None = None, context: str | None = None
    ) -> tuple[str, int]:
        self.calls.append((text, hint))
        queue = self.replies.get(text)
        return (queue.pop(0) if queue else self.default), 3

    def punctuate(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass


def test_a_failed_piece_is_retried_with_the_problem_named() -> None:
    piece = "OpenAI 没有发布 GPT-5。"
    translator = Scripted({piece: ["OpenAI released GPT-5.", "OpenAI did not release GPT-5."]})
    rendering = render(translator, piece)
    assert rendering.checked and rendering.english == "OpenAI did not release GPT-5."
    assert "negation" in (translator.calls[1][1] or "")


def test_a_unit_failing_every_retry_is_searched_but_never_shown() -> None:
    piece = "OpenAI 没有发布 GPT-5。"
    translator = Scripted({}, default="OpenAI released GPT-5.")
    rendering = render(translator, piece)
    assert not rendering.checked
    assert rendering.english == "OpenAI released GPT-5."  # the search aid keeps it
    assert any("negation" in p for p in rendering.problems)
    shown, passed = english_of(rendering.segments, piece, piece) or ("", True)
    assert not passed and shown.startswith(NO_ENGLISH) and "released" not in shown


def test_leftover_chinese_is_glossed_from_the_dictionary() -> None:
    piece = "这个名字充满挑衅。"
    translator = Scripted({}, default="The name is full of 挑衅.")
    rendering = render(translator, piece)
    assert rendering.checked, rendering.problems
    assert "挑衅" not in rendering.english and "provoke" in rendering.english


def test_key_sentence_maps_to_its_english() -> None:
    text = "第一句话在这里,它足够长了。关键的一句话在这里,它也够长。最后一句话在这里,同样够长。"
    rendering = render(FakeTranslator(), text)
    units_ = rendering.segments
    assert len(units_) == 3
    assert english_of(units_, text, "关键的一句话在这里,它也够长。") == (units_[1][1], True)
    assert english_of(units_, text, "不在文中") is None
    # An excerpt that only grazes a unit does not carry that unit's English with it.
    excerpt = "它足够长了。关键的一句话在这里,它也够长。最后"
    assert english_of(units_, text, excerpt) == (
        f"{units_[0][1]} {units_[1][1]} {units_[2][1]}",
        True,
    )
    assert english_of(units_, text, excerpt, least_inside=0.5) == (units_[1][1], True)


def test_a_stored_unit_is_read_again_by_the_guards_latest_rules() -> None:
    # Rendered and stored as passing before a rule existed: not shown now.
    text = "估值达到3亿美元。模型很强。"
    stored = [
        ("估值达到3亿美元。", "valued at 3 billion dollars.", ""),
        ("模型很强。", "strong.", ""),
    ]
    english, passed = english_of(stored, text, text) or ("", True)
    assert not passed and english.startswith(NO_ENGLISH) and english.endswith("strong.")


def test_each_unit_is_translated_with_its_neighbours_as_context() -> None:
    text = "OpenAI 表示第一句话足够长。关键的一句话在这里,它也够长。最后一句话在这里,同样够长。"
    seen: list[str | None] = []

    class Recording(FakeTranslator):
        def translate(self, text, hint=None, context=None):
            seen.append(context)
            return super().translate(text, hint, context)

    render(Recording(), text)
    before, after = (seen[1] or "").split(" ... ")
    assert (before, after) == ("OpenAI 表示第一句话足够长。", "最后一句话在这里,同样够长。")
    assert seen[0] == "关键的一句话在这里,它也够长。"


def test_prompt_names_only_the_terms_present() -> None:
    message = user_message("奥特曼说 GPT-5 难产了")
    assert "奥特曼 = Altman" in message and "难产" in message
    assert "小扎" not in message
    assert user_message("没有术语的句子") == "Translate:\n没有术语的句子"
    with_context = user_message("这句话", context="前一句 … 后一句")
    assert "Context (do not translate): 前一句 … 后一句" in with_context
    assert with_context.endswith("Translate:\n这句话")


# -- the model file ------------------------------------------------------------------------------


def fake_parts(tmp_path: Path, payload: bytes, parts: int = 3) -> list[Path]:
    size = len(payload) // parts + 1
    paths = []
    for i in range(parts):
        path = tmp_path / f"part{i + 1:02d}.bin"
        path.write_bytes(payload[i * size : (i + 1) * size])
        paths.append(path)
    return paths


def test_parts_are_joined_in_order_and_verified(tmp_path: Path, monkeypatch) -> None:
    payload = bytes(range(256)) * 1000
    parts = fake_parts(tmp_path, payload)
    monkeypatch.setattr(model_file, "part_paths", lambda: parts)
    monkeypatch.setattr(model_file, "SHA256", hashlib.sha256(payload).hexdigest())
    path = model_file.ensure_joined(tmp_path / "models")
    assert path.read_bytes() == payload
    parts[0].unlink()  # verified once: a later start does not need the parts
    assert model_file.ensure_joined(tmp_path / "models") == path


def test_a_wrong_hash_leaves_no_model_and_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    parts = fake_parts(tmp_path, b"not the model" * 100)
    monkeypatch.setattr(model_file, "part_paths", lambda: parts)
    with pytest.raises(model_file.TranslatorModelError, match=r"requirements/translator\.txt"):
        model_file.ensure_joined(tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_missing_part_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(model_file, "PART_MODULE", "rumorbot_no_such_part_{}")
    with pytest.raises(model_file.TranslatorModelError, match="part 1 of 22 is not installed"):
        model_file.part_paths()


# -- storage and the worker -------------------------------------------------------------------


def passage_rows(texts: list[str], source: str = "s.txt") -> list[PassageRow]:
    rows = []
    for i, text in enumerate(texts):
        draft = PassageDraft(source, i, None, text)
        rows.append(PassageRow(draft.id, source, i, None, text, draft.content_hash))
    return rows


def source(title: str = "标题") -> SourceInfo:
    return SourceInfo("s.txt", title, "Outlet", None, None, None, "zh", "report", 2)


TEXTS = ["OpenAI 没有发布 GPT-5。", "Orion 的表现不如预期。", "预训练在 2024 年开始。"]


def test_each_text_is_translated_once(sessions) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    jobs = jobs_for(passage_rows(TEXTS), [source()])
    translator = FakeTranslator()
    first = translate_jobs(store, translator, jobs)
    assert first.translated == 4 and first.failed == 0
    again = translate_jobs(store, translator, jobs)
    assert again.translated == 0 and again.already == 4
    done = store.done()
    assert set(done) == {j.content_hash for j in jobs}
    assert done[text_hash("标题")].english


def test_workers_in_one_process_share_the_work(sessions) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    texts = [f"第{i}段话没有说 2024 年的事。" for i in range(12)]
    jobs = jobs_for(passage_rows(texts), [])
    made: list[FakeTranslator] = []

    def make() -> FakeTranslator:
        made.append(FakeTranslator())
        return made[-1]

    summary = translate_in_parallel(store, make, jobs, workers=3)
    assert summary.translated == 12 and summary.by_others == 0 and len(made) == 3
    calls = [call for t in made for call in t.calls]
    assert sorted(calls) == sorted(texts)  # each text translated by exactly one worker


def test_a_changed_text_or_prompt_version_is_translated_again(sessions) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    translate_jobs(store, FakeTranslator(), jobs_for(passage_rows(TEXTS), []))
    changed = passage_rows([TEXTS[0], TEXTS[1], "预训练在 2025 年开始。"])
    translator = FakeTranslator()
    summary = translate_jobs(store, translator, jobs_for(changed, []))
    assert summary.translated == 1 and translator.calls == ["预训练在 2025 年开始。"]
    newer = TranslationStore(sessions, "fake-v1", 2)
    assert translate_jobs(newer, FakeTranslator(), jobs_for(changed, [])).translated == 3


def test_a_stopped_run_resumes_where_it_stopped(sessions) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    jobs = jobs_for(passage_rows(TEXTS), [])
    stop = threading.Event()

    def progress(number: int, total: int, job) -> None:
        if number == 2:
            stop.set()  # killed while on the second text: it still finishes that one

    first = translate_jobs(store, FakeTranslator(), jobs, progress=progress, stop=stop)
    assert first.translated == 2
    translator = FakeTranslator()
    second = translate_jobs(store, translator, jobs)
    assert second.translated == 1 and second.already == 2
    assert translator.calls == [TEXTS[2]]


def test_a_dead_workers_claim_is_taken_over(sessions, monkeypatch) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    job = jobs_for(passage_rows(TEXTS[:1]), [])[0]
    assert store.claim(job.content_hash, "crashed:1")
    assert not store.claim(job.content_hash, "other:2")
    # The claim ages past the limit without a heartbeat.
    from datetime import timedelta

    from retrieval.translation import store as store_module

    monkeypatch.setattr(store_module, "STALE_CLAIM", timedelta(seconds=-1))
    assert store.claim(job.content_hash, "other:2")


def test_a_failing_translator_loses_nothing(sessions) -> None:
    class Broken(FakeTranslator):
        def translate(self, text: str, hint=None, context=None) -> tuple[str, int]:
            if "Orion" in text:
                raise RuntimeError("out of memory")
            return super().translate(text, hint)

    store = TranslationStore(sessions, "fake-v1", 1)
    jobs = jobs_for(passage_rows(TEXTS), [])
    summary = translate_jobs(store, Broken(), jobs)
    assert summary.translated == 2 and summary.failed == 1
    # The failed text's claim was given back: the next run takes it.
    assert translate_jobs(store, FakeTranslator(), jobs).translated == 1


def test_an_interrupted_translation_stops_the_run_and_gives_its_text_back(sessions, caplog) -> None:
    class Stopping(FakeTranslator):  # its process stops while it is on the second text
        def translate(self, text: str, hint=None, context=None) -> tuple[str, int]:
            if len(self.calls) == 1:
                raise Interrupted
            return super().translate(text, hint)

    store = TranslationStore(sessions, "fake-v1", 1)
    jobs = jobs_for(passage_rows(TEXTS), [])
    assert store.claim(jobs[2].content_hash, "elsewhere:1")  # held by a live worker
    translator = Stopping()
    started = time.perf_counter()
    summary = translate_jobs(store, translator, jobs, wait_for_others=True, poll_seconds=30)
    # It neither waits for the other worker's text nor counts the stop as a failure.
    assert time.perf_counter() - started < 5
    assert summary.translated == 1 and summary.failed == 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    # The interrupted text is not half-saved, and is given back: another worker takes it at
    # once (not after its claim has gone stale).
    assert jobs[1].content_hash not in store.done()
    assert store.claim(jobs[1].content_hash, "other:2")


def test_recently_quoted_passages_come_first() -> None:
    rows = passage_rows(TEXTS)
    jobs = jobs_for(rows, [source()], first=[rows[2].id])
    assert [j.text for j in jobs][:2] == [TEXTS[2], "标题"]


def test_fingerprint_changes_when_a_rendering_lands(sessions) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    before = store.fingerprint()
    translate_jobs(store, FakeTranslator(), jobs_for(passage_rows(TEXTS[:1]), []))
    assert store.fingerprint() != before


@pytest.mark.postgres
def test_two_processes_translate_each_text_once(postgres_url: str, process_env, tmp_path) -> None:
    env = {**process_env, "DATABASE_URL": postgres_url}
    subprocess.run(
        [sys.executable, "-m", "bot", "ingest"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "translate", "--quiet"],
            env={**env, "RUMORBOT_DATA_DIR": str(tmp_path / f"data{i}")},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    translated = [int(out.split(": ")[1].split(" translated")[0]) for out, _ in outputs]
    from retrieval.db.session import make_engine

    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(Translation)).scalar_one()
        done = conn.execute(
            select(func.count()).select_from(Translation).where(Translation.status == "done")
        ).scalar_one()
    engine.dispose()
    assert rows == done == sum(translated), (translated, outputs)


ARTICLE = "OpenAI 在 2024 年开始训练 Orion。结果 Orion 的表现不如预期。所以 GPT-5 推迟了发布。"


def test_a_partial_rendering_translates_only_the_key_sentence() -> None:
    translator = FakeTranslator()
    key = "结果 Orion 的表现不如预期。"
    partial = render(translator, ARTICLE, only=[key])
    assert translator.calls == [key]
    assert [reason for _, _, reason in partial.segments] == [PENDING, "", PENDING]
    # What a quote shows meanwhile: the key sentence's English, the rest marked as coming,
    # and nothing counted as failing the check.
    shown, passed = english_of(partial.segments, ARTICLE, ARTICLE)
    assert shown.startswith(ON_ITS_WAY) and shown.endswith(ON_ITS_WAY) and passed
    key_english = english_of(partial.segments, ARTICLE, key)
    assert key_english is not None and key_english[0].startswith("[EN ")


def test_a_partial_rendering_given_back_stays_readable_and_is_retaken_at_once(sessions):
    store = TranslationStore(sessions, "fake-v1", 1)
    job = passage_job(passage_rows([ARTICLE])[0])
    assert store.claim(job.content_hash, "stopping:1")
    key = render(FakeTranslator(), ARTICLE, only=["结果 Orion 的表现不如预期。"])
    store.keep_partial(job.content_hash, "stopping:1", key)
    store.release(job.content_hash, "stopping:1")  # its process stopped mid-passage
    assert store.partial()[job.content_hash].segments == key.segments  # answers still show it
    assert store.claim(job.content_hash, "other:2")


def test_shown_passages_come_key_sentences_first_and_each_unit_once(sessions) -> None:
    store = TranslationStore(sessions, "fake-v1", 1)
    rows = passage_rows([ARTICLE, "Orion 的表现不如预期。OpenAI 没有发布 GPT-5。"])
    jobs = [passage_job(row) for row in rows]
    keys = {
        rows[0].content_hash: ["所以 GPT-5 推迟了发布。"],
        rows[1].content_hash: ["OpenAI 没有发布 GPT-5。"],
    }
    translator = FakeTranslator()
    seen: list[dict] = []

    def landed() -> None:  # what an answer can show: after each passage's key sentence
        seen.append({"calls": len(translator.calls), "fingerprint": store.fingerprint()})
        seen[-1].update(store.partial())

    summary = translate_shown(store, translator, jobs, keys, landed)
    # The first pass rendered the two key sentences alone, one per passage, in the answer's
    # order, each passage's landing as soon as its key sentence has English.
    assert translator.calls[:2] == ["所以 GPT-5 推迟了发布。", "OpenAI 没有发布 GPT-5。"]
    assert [s["calls"] for s in seen] == [1, 2]
    assert rows[1].content_hash not in seen[0] and rows[1].content_hash in seen[1]
    partial = seen[0][rows[0].content_hash]
    assert [reason for _, _, reason in partial.segments] == [PENDING, PENDING, ""]
    # The second pass finished both, the key sentences from memory: each unit once.
    assert summary.translated == 2 and sorted(translator.calls) == sorted(set(translator.calls))
    assert len(translator.calls) == 5
    done = store.done()
    assert set(done) == {j.content_hash for j in jobs} and not store.partial()
    assert all(PENDING not in [r for _, _, r in d.segments] for d in done.values())
    assert store.fingerprint() != seen[0]["fingerprint"] != seen[1]["fingerprint"]


@pytest.mark.parametrize(
    ("chinese", "english", "ok"),
    [
        ("发布给上千万用户", "released to tens of millions of users", True),
        ("训练了三个月", "it was trained for 3 months", True),  # a Chinese numeral
        ("12 月 5 日发布", "released on December 5", True),
        ("GPT-4o 比 GPT-4 更快", "GPT-4o is faster than GPT-4", True),  # versions: no figures
        ("成本约为5亿美元", "it cost about 500 million dollars", True),
        ("性能提升明显", "performance improved by 40%", False),  # a figure invented
        ("OpenAI 有很多研究员", "OpenAI has 300 researchers", False),
    ],
)
def test_a_figure_the_source_does_not_state_fails(chinese: str, english: str, ok: bool) -> None:
    result = check(chinese, english)
    assert result.ok is ok, result.problems
