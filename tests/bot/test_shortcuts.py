""" "Check this rumour" on a message: signed requests through the real Bolt path, answers
posted to the stub Web API."""

from __future__ import annotations

import time

from retrieval.answers.claims import sentences
from tests.bot.conftest import RunningApp
from tests.bot.test_following import blocks_text

CLAIM = "听说 GPT-5 的预训练还没有启动？"


def test_a_message_is_checked_in_its_thread(running: RunningApp) -> None:
    hostile = f"<!channel> {CLAIM} &lt;b&gt;转发&lt;/b&gt; <https://x.test/a|原帖>"
    started = time.monotonic()
    response = running.shortcut({"ts": "500.1", "text": hostile})
    assert response.status == 200 and time.monotonic() - started < 3
    (posted,) = running.stub.wait_for("chat.postMessage", timeout=30)
    assert posted["channel"] == "C1" and posted["thread_ts"] == "500.1"
    shown = blocks_text(posted)
    # What was checked comes first: mentions dropped, links reduced to their text, escaped.
    assert "Checking: “" in shown and CLAIM in shown and "原帖" in shown
    assert "<!channel>" not in shown and "&lt;b&gt;转发&lt;/b&gt;" in shown
    assert "[1]" in shown  # the answer itself, with its citations


def test_a_second_click_posts_nothing_more(running: RunningApp) -> None:
    running.shortcut({"ts": "501.1", "text": CLAIM})
    running.stub.wait_for("chat.postMessage", timeout=30)
    running.shortcut({"ts": "501.1", "text": CLAIM}, user_id="UOTHER")
    (said,) = running.stub.wait_for("response/shortcut-UOTHER", timeout=30)
    assert "already checked" in said["text"]
    assert running.stub.count("chat.postMessage") == 1


def test_a_message_without_text_gets_a_private_reply(running: RunningApp) -> None:
    running.shortcut({"ts": "502.1", "text": "", "files": [{"id": "F1", "name": "shot.png"}]})
    (said,) = running.stub.wait_for("response/shortcut-UASKER", timeout=30)
    assert said["text"].startswith("I can only check text")
    assert said.get("response_type") == "ephemeral"
    assert running.stub.count("chat.postMessage") == 0


def test_in_a_dm_the_check_is_private(running: RunningApp) -> None:
    running.shortcut({"ts": "503.1", "text": CLAIM}, channel_id="D42")
    (said,) = running.stub.wait_for("response/shortcut-UASKER", timeout=30)
    assert said.get("response_type") == "ephemeral" and "Checking: “" in blocks_text(said)
    assert running.stub.count("chat.postMessage") == 0


def test_a_long_message_is_checked_by_its_best_sentence(running: RunningApp) -> None:
    filler = "今天天气不错，大家下午好，我们晚点再开会讨论其他的事情吧。"
    long = f"{filler}{filler}\n{CLAIM}\n{filler}大家觉得呢。" + "哈" * 120
    running.shortcut({"ts": "504.1", "text": long})
    (posted,) = running.stub.wait_for("chat.postMessage", timeout=30)
    shown = blocks_text(posted)
    assert f"Checked by its sentence that best matches the sources: “{CLAIM}”" in shown


def test_sentences_of_a_message() -> None:
    text = "GPT-5 is done. Really? 是的。好\n见下：\nOpus 3.5 was never released!"
    # Short bits ("Really?", "是的。", "见下：") are not claims; "3.5" is not a sentence end.
    assert sentences(text) == ["GPT-5 is done.", "Opus 3.5 was never released!"]
