"""Slack's AI surfaces through the real Bolt path: the agent Messages tab (suggested prompts
when it opens; a status with rotating loading messages while a DM is answered), the legacy
assistant container (prompts when a thread starts, a title); in channels, 👀 on the question
while it is answered."""

from __future__ import annotations

from bot.listeners.prompts import CHECK_PROMPT, STATUS
from tests.bot.conftest import RunningApp, mention


def test_the_messages_tab_offers_suggested_prompts(running: RunningApp) -> None:
    opened = {"type": "app_home_opened", "user": "UASKER", "channel": "D7", "tab": "messages"}
    assert running.event(opened, event_id="EvTab").status == 200
    (prompts,) = running.stub.wait_for("assistant.threads.setSuggestedPrompts")
    # An agent app sets them on the DM: with a thread_ts the call silently does nothing.
    assert prompts["channel_id"] == "D7" and "thread_ts" not in prompts
    assert [p["title"] for p in prompts["prompts"]][1] == "Why was Opus 3.5 not released?"
    assert running.stub.count("views.publish") == 0 and running.stub.count("chat.postMessage") == 0


def test_a_dm_in_the_messages_tab_shows_a_status_while_answered(running: RunningApp) -> None:
    asked = {
        "type": "message",
        "channel": "D7",
        "channel_type": "im",
        "user": "UASKER",
        "text": "why was Opus 3.5 not released?",
        "ts": "720.1",
    }
    running.event(asked, event_id="EvDm")
    (status,) = running.stub.wait_for("assistant.threads.setStatus")
    assert (status["channel_id"], status["thread_ts"], status["status"]) == ("D7", "720.1", STATUS)
    loading = status["loading_messages"]
    assert 2 <= len(loading) <= 10 and "Searching the sources…" in loading
    assert any("English" in line for line in loading)  # asked in English: its English is checked
    (answer,) = running.stub.wait_for("chat.postMessage", timeout=30)
    assert answer["thread_ts"] == "720.1" and "Opus 3.5" in str(answer["blocks"])

    running.event({**asked, "text": CHECK_PROMPT, "ts": "721.1"}, event_id="EvDmCheck")
    said = running.stub.wait_for("chat.postMessage", count=2, timeout=30)[1]
    assert said["text"].startswith("Paste the rumour")


def test_a_new_assistant_thread_gets_suggested_prompts(running: RunningApp) -> None:
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {"user_id": "UASKER", "channel_id": "D1", "thread_ts": "700.1"},
        "event_ts": "700.2",
    }
    assert running.event(started, event_id="EvStart").status == 200
    (prompts,) = running.stub.wait_for("assistant.threads.setSuggestedPrompts")
    assert (prompts["channel_id"], prompts["thread_ts"]) == ("D1", "700.1")
    titles = [p["title"] for p in prompts["prompts"]]
    assert titles == ["What's new about GPT-5?", "Why was Opus 3.5 not released?", "Check a rumour"]
    (greeting,) = running.stub.wait_for("chat.postMessage")
    assert greeting["thread_ts"] == "700.1" and "quoting the sources" in greeting["text"]


def im(text: str, ts: str, thread_ts: str = "700.1") -> dict[str, object]:
    return {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "UASKER",
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
    }


def test_a_question_in_the_assistant_thread_is_titled_and_shows_a_status(
    running: RunningApp,
) -> None:
    running.event(im("why was Opus 3.5 not released?", "701.1"), event_id="EvAsk")
    (title,) = running.stub.wait_for("assistant.threads.setTitle")
    assert title["title"] == "why was Opus 3.5 not released?"
    (status,) = running.stub.wait_for("assistant.threads.setStatus")
    assert status["status"] == STATUS and status["thread_ts"] == "700.1"
    assert status["loading_messages"]
    (answer,) = running.stub.wait_for("chat.postMessage", timeout=30)
    assert answer["thread_ts"] == "700.1" and "Opus 3.5" in str(answer["blocks"])
    assert running.stub.count("reactions.add") == 0  # no 👀 in a DM

    # The "check a rumour" prompt asks for the rumour instead of searching for its words.
    running.event(im(CHECK_PROMPT, "702.1"), event_id="EvCheck")
    said = running.stub.wait_for("chat.postMessage", count=2, timeout=30)[1]
    assert said["text"].startswith("Paste the rumour")


def test_eyes_while_a_channel_question_is_answered(running: RunningApp) -> None:
    running.event(mention("why was Opus 3.5 not released?", ts="710.1"), event_id="EvEyes")
    running.stub.wait_for("chat.postMessage", timeout=30)
    (removed,) = running.stub.wait_for("reactions.remove")
    (added,) = running.stub.calls["reactions.add"]
    assert added == removed and (added["name"], added["timestamp"]) == ("eyes", "710.1")


def test_eyes_are_removed_when_the_answer_fails(running: RunningApp) -> None:
    running.stub.scripted["chat.postMessage"].append(
        (200, {}, {"ok": False, "error": "msg_too_long"})
    )
    running.event(mention("why was Opus 3.5 not released?", ts="711.1"), event_id="EvEyes2")
    (apology,) = running.stub.wait_for("chat.postMessage", count=2, timeout=30)[1:]
    assert apology["text"].startswith("Sorry")
    assert running.stub.wait_for("reactions.remove")[0]["timestamp"] == "711.1"
