"""English renderings: the guard, cutting, retries, the model file, storage and the worker."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from retrieval.corpus.passages import PassageDraft
from retrieval.corpus.store import PassageRow, SourceInfo
from retrieval.db.tables import Translation
from retrieval.translation import model as model_file
from retrieval.translation.guard import check, negations, spell_amounts, strip_preamble
from retrieval.translation.render import english_of, render
from retrieval.translation.segments import clauses, segments
from retrieval.translation.store import TranslationStore, text_hash
from retrieval.translation.translator import FakeTranslator, user_message
from retrieval.translation.worker import jobs_for, translate_in_parallel, translate_jobs

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
    ],
)
def test_guard(source: str, english: str, ok: bool) -> None:
    assert check(source, english).ok is ok, check(source, english)


def test_guard_names_what_failed() -> None:
    result = check("OpenAI 没有在 2024 年发布 GPT-5。", "OpenAI released GPT-5 in 2023.")
    assert not result.ok
    assert any("2024" in p for p in result.problems)
    assert any("negation" in p for p in result.problems)


def test_negations_count_real_ones_only() -> None:
    assert negations("它没有说明,也不是发布会,并未公开") == 3
    assert negations("不过,未来无论如何都不容小觑") == 0


def test_amounts_reach_the_model_in_english_units() -> None:
    # The model renders 亿 as "billion" however it is told; given the unit, it copies it.
    assert spell_amounts("成本约为5亿美元") == "成本约为 500 million 美元"
    assert spell_amounts("1.76 万亿参数, 3万人") == "1.76 trillion 参数, 30,000 人"
    assert spell_amounts("GPT-4o 有 200 个") == "GPT-4o 有 200 个"


def test_preamble_and_wrapping_quotes_are_stripped() -> None:
    assert strip_preamble("Certainly! Here is the translation:\nGPT-5 is late.") == "GPT-5 is late."
    assert strip_preamble('"GPT-5 is late."') == "GPT-5 is late."
    assert strip_preamble("Certainly, here is the English translation:") == ""


# -- cutting ---------------------------------------------------------------------------------


def test_segments_are_sentences_and_keep_all_text() -> None:
    text = "第一句很长很长很长很长。第二句也很长很长很长!短。最后一句结束了吗?"
    pieces = segments(text)
    assert len(pieces) == 3
    assert "".join(pieces).replace(" ", "") == text


def test_transcripts_go_in_short_runs_of_phrases() -> None:
    phrases = ["这是字幕的第一段话"] * 12
    text = " ".join(phrases)
    pieces = segments(text)
    assert len(pieces) > 1 and all(len(p) <= 60 for p in pieces)
    assert " ".join(pieces) == text


def test_clauses_cut_at_commas() -> None:
    assert clauses("第一个分句很长很长很长很长,第二个分句也很长很长很长很长。") == [
        "第一个分句很长很长很长很长,",
        "第二个分句也很长很长很长很长。",
    ]


# -- rendering with retries --------------------------------------------------------------------


class Scripted:
    """Answers from a script per piece: a list of replies, used in order."""

    translator_id = "scripted"

    def __init__(self, replies: dict[str, list[str]], default: str = "fine"):
        self.replies, self.default = replies, default
        self.calls: list[tuple[str, str | None]] = []

    def translate(self, text: str, hint: str | None = None) -> tuple[str, int]:
        self.calls.append((text, hint))
        queue = self.replies.get(text)
        return (queue.pop(0) if queue else self.default), 3

    def close(self) -> None:
        pass


def test_a_failed_piece_is_retried_with_the_problem_named() -> None:
    piece = "OpenAI 没有发布 GPT-5。"
    translator = Scripted({piece: ["OpenAI released GPT-5.", "OpenAI did not release GPT-5."]})
    rendering = render(translator, piece)
    assert rendering.checked and rendering.english == "OpenAI did not release GPT-5."
    assert "negation" in (translator.calls[1][1] or "")


def test_a_piece_failing_every_retry_is_kept_unchecked() -> None:
    piece = "OpenAI 没有发布 GPT-5。"
    translator = Scripted({}, default="OpenAI released GPT-5.")
    rendering = render(translator, piece)
    assert not rendering.checked
    assert rendering.english == "OpenAI released GPT-5."
    assert any("negation" in p for p in rendering.problems)


def test_leftover_chinese_is_glossed_from_the_dictionary() -> None:
    piece = "这个名字充满挑衅。"
    translator = Scripted({}, default="The name is full of 挑衅.")
    rendering = render(translator, piece)
    assert rendering.checked, rendering.problems
    assert "挑衅" not in rendering.english and "provoke" in rendering.english


def test_key_sentence_maps_to_its_english() -> None:
    text = "第一句话在这里,它足够长了。关键的一句话在这里,它也够长。最后一句话在这里,同样够长。"
    rendering = render(FakeTranslator(), text)
    pairs = rendering.segments
    assert len(pairs) == 3
    assert english_of(pairs, text, "关键的一句话在这里,它也够长。") == pairs[1][1]
    assert english_of(pairs, text, "不在文中") is None


def test_prompt_names_only_the_terms_present() -> None:
    message = user_message("奥特曼说 GPT-5 难产了")
    assert "奥特曼 = Altman" in message and "难产" in message
    assert "小扎" not in message
    assert user_message("没有术语的句子") == "没有术语的句子"


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
        def translate(self, text: str, hint: str | None = None) -> tuple[str, int]:
            if "Orion" in text:
                raise RuntimeError("out of memory")
            return super().translate(text, hint)

    store = TranslationStore(sessions, "fake-v1", 1)
    jobs = jobs_for(passage_rows(TEXTS), [])
    summary = translate_jobs(store, Broken(), jobs)
    assert summary.translated == 2 and summary.failed == 1
    # The failed text's claim was given back: the next run takes it.
    assert translate_jobs(store, FakeTranslator(), jobs).translated == 1


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
