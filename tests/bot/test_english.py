"""English renderings as Slack users see them, through signed requests and the real Bolt path
(the fake translator: deterministic, no model)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bot.services import Services, build_services
from retrieval.translation.render import ON_ITS_WAY
from retrieval.translation.translator import FakeTranslator
from retrieval.translation.worker import translate_jobs
from tests.bot.conftest import ADMIN, RunningApp, answer_id_of, make_settings, mention
from tests.bot.rendering import shown_quotes


def translate_all(services: Services) -> None:
    assert services.translations is not None
    translate_jobs(services.translations, FakeTranslator(), services.translation_jobs())
    services.answers.refresh_english()


def rendered(call: dict) -> str:
    blocks = call.get("blocks")
    return blocks if isinstance(blocks, str) else json.dumps(blocks or [], ensure_ascii=False)


def blocks_of(call: dict) -> list[dict]:
    blocks = call["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def action_ids(call: dict) -> list[str]:
    return [
        e["action_id"] for b in blocks_of(call) if b["type"] == "actions" for e in b["elements"]
    ]


def test_english_question_gets_english_under_each_quote(running: RunningApp) -> None:
    translate_all(running.services)
    running.event(mention("why was Opus 3.5 not released?"))
    (call,) = running.stub.wait_for("chat.postMessage")
    text = rendered(call)
    quotes = shown_quotes(blocks_of(call))
    assert len(quotes) == 3
    for quote in quotes:  # under each quote and its citation, in italics
        assert re.search(r" \[\d\] [\w-]+$", quote.text)
        assert quote.english_italic and quote.english.startswith("[EN ")
    assert "machine translation, may contain errors" in text
    assert "pending" not in text
    assert "show_chinese" in action_ids(call)


def test_english_that_lands_later_is_edited_in_key_sentences_first(running: RunningApp) -> None:
    running.event(mention("why was Opus 3.5 not released?"))
    (posted,) = running.stub.wait_for("chat.postMessage")
    assert rendered(posted).count("English translation pending") == 3
    # The quotes' passages are translated ahead of the rest, their key sentences first, and
    # the answer edited in place: chat.update, not a second message (which would notify).
    # One edit as each quote's key sentence lands, one when all of it has.
    *early_edits, edited = running.stub.wait_for("chat.update", count=4)
    first = early_edits[0]
    for call in (*early_edits, edited):
        assert call["channel"] == posted["channel"] and call["ts"] == "1700000000.000100"
    # First the best quote's key sentence, in bold under it, the rest marked as on its way
    # (set apart as rumorbot's words, never in the translation's italics); the others
    # still pending; then the next quote's.
    early = shown_quotes(blocks_of(first))
    assert early[0].english_bold and early[0].english_bold[0].startswith("[EN ")
    assert ON_ITS_WAY not in "".join(early[0].english_bold)
    assert "English translation pending" in rendered(first)
    keys_in = shown_quotes(blocks_of(early_edits[-1]))
    assert all(q.english_bold and q.english_bold[0].startswith("[EN ") for q in keys_in)
    assert any(ON_ITS_WAY in q.english_code for q in keys_in)
    # Then all of it.
    final = shown_quotes(blocks_of(edited))
    assert len(final) == 3 and all(q.english.startswith("[EN ") for q in final)
    assert ON_ITS_WAY not in rendered(edited) and "pending" not in rendered(edited)
    time.sleep(0.5)
    assert running.stub.count("chat.postMessage") == 1 and running.stub.count("chat.update") == 4
    answer_id = int(answer_id_of(blocks_of(edited)))
    stored = running.services.records.answer(answer_id)
    assert stored is not None
    assert all(p["english"] and ON_ITS_WAY not in p["english"] for p in stored["passages"][:3])
    assert "machine translation" not in rendered(posted)
    assert "machine translation" in rendered(edited)


def test_chinese_question_is_chinese_only_with_a_button_for_english(running: RunningApp) -> None:
    translate_all(running.services)
    running.event(mention("Orion 为什么失败？"))
    (call,) = running.stub.wait_for("chat.postMessage")
    assert "[EN " not in rendered(call)
    assert "show_english" in action_ids(call)
    answer_id = blocks_of(call)[-1]["block_id"].split(":")[1]
    running.action("show_english", answer_id)
    (swapped,) = running.stub.wait_for("response/action-UASKER")
    assert swapped["replace_original"] in (True, "true")
    assert "[EN " in rendered(swapped) and "show_chinese" in action_ids(swapped)
    running.action("show_chinese", answer_id)
    back = running.stub.wait_for("response/action-UASKER", count=2)[-1]
    assert "[EN " not in rendered(back)


def test_sources_show_english_titles(running: RunningApp) -> None:
    translate_all(running.services)
    response = running.command("sources")
    assert response.status == 200
    assert response.body.count("(machine translation)") == 5


def test_a_reload_translates_the_new_source_in_the_background(
    running: RunningApp, corpus_dir: Path
) -> None:
    translate_all(running.services)
    (corpus_dir / "005_orion.txt").write_text(
        "Orion 的训练在 2024 年没有达到预期。OpenAI 随后推迟了发布计划。\n", encoding="utf-8"
    )
    running.command("reload", user_id=ADMIN)
    running.stub.wait_for(f"response/{ADMIN}", count=1, timeout=30)
    deadline = time.monotonic() + 30
    store = running.services.translations
    assert store is not None
    while time.monotonic() < deadline:
        jobs = running.services.translation_jobs()
        if len(store.done([j.content_hash for j in jobs])) == len(jobs):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the new passage was not translated after the reload")
    running.services.answers.refresh_english()
    running.event(mention("what happened to Orion training in 2024?"))
    (call,) = running.stub.wait_for("chat.postMessage")
    first_quote = shown_quotes(blocks_of(call))[0]
    assert first_quote.english and "pending" not in first_quote.english


def test_a_missing_model_keeps_answers_chinese_without_promising_english(
    tmp_path: Path, corpus_dir: Path, stub
) -> None:
    settings = make_settings(tmp_path, corpus_dir, stub.url).model_copy(
        update={"translator": "qwen", "translator_model": tmp_path / "no-such-model.gguf"}
    )
    services = build_services(settings)
    services.answers.start()
    services.background_translation.request()
    deadline = time.monotonic() + 10
    while services.answers.english_unavailable is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "no-such-model.gguf" in (services.answers.english_unavailable or "")
    answer = services.answers.ask("why was Opus 3.5 not released?").to_json()
    assert answer["quotes" if "quotes" in answer else "passages"]
    assert answer["translations"] == "off"
    assert all(p["english"] is None for p in answer["passages"])
