"""Follow-up questions in a thread, through the real Bolt path: read with the thread's earlier
questions (from rumorbot's own answer log), never bent when they name their own topic."""

from __future__ import annotations

import json
import time

from tests.bot.conftest import RunningApp, answer_id_of, mention
from tests.bot.rendering import shown_quotes

THREAD = "30.1"


def ask_in_thread(running: RunningApp, text: str, ts: str, count: int) -> dict:
    running.event(mention(text, ts=ts, thread_ts=THREAD), event_id=f"Ev{ts}")
    return running.stub.wait_for("chat.postMessage", count=count)[count - 1]


def context_line(call: dict) -> str | None:
    for block in call["blocks"]:
        if block["type"] == "context" and "earlier in this thread" in json.dumps(block):
            return block["elements"][0]["text"]
    return None


def quotes(call: dict) -> str:
    return json.dumps([q.text for q in shown_quotes(call["blocks"])], ensure_ascii=False)


def test_a_follow_up_takes_the_threads_topic_and_a_new_topic_is_not_bent(
    running: RunningApp,
) -> None:
    running.event(mention("why was Opus 3.5 not released?", ts=THREAD), event_id="EvFirst")
    first = running.stub.wait_for("chat.postMessage")[0]
    assert context_line(first) is None

    follow = ask_in_thread(running, "who reported that?", "30.2", 2)
    assert follow["thread_ts"] == THREAD
    assert context_line(follow) == ":thread: Taking “Opus 3.5” from earlier in this thread"
    assert "Opus" in quotes(follow)
    assert "Q:* who reported that?" in json.dumps(follow["blocks"])  # shown as asked

    # A chain: the second follow-up still gets the topic (carried by the first).
    again = ask_in_thread(running, "when was that?", "30.3", 3)
    assert "Opus 3.5" in (context_line(again) or "")

    own = ask_in_thread(running, "and what about Orion?", "30.4", 4)
    assert context_line(own) is None
    assert "Orion" in quotes(own)


def test_a_question_in_another_thread_starts_afresh(running: RunningApp) -> None:
    running.event(mention("why was Opus 3.5 not released?", ts="31.1"), event_id="EvA")
    running.stub.wait_for("chat.postMessage")
    running.event(mention("who reported that?", ts="32.1"), event_id="EvB")
    other = running.stub.wait_for("chat.postMessage", count=2)[1]
    assert context_line(other) is None


def test_a_follow_up_under_a_shared_rumor_ask_answer(running: RunningApp) -> None:
    running.command("ask why was Opus 3.5 not released?")
    (reply,) = running.stub.wait_for("response/UASKER")
    answer_id = answer_id_of(reply["blocks"])
    running.action("share_answer", answer_id)
    running.stub.wait_for("chat.postMessage")
    shared_ts = "1700000000.000100"  # the stub's ts for the shared message
    # Where it was shared is recorded just after Slack accepts the post: wait for that, as a
    # person replying in its thread would be later than this anyway.
    deadline = time.monotonic() + 10
    while running.services.records.thread_questions("C1", shared_ts) == []:
        assert time.monotonic() < deadline, "the shared answer's ts was never recorded"
        time.sleep(0.05)
    running.event(
        mention("who reported that?", ts="33.2", thread_ts=shared_ts), event_id="EvShared"
    )
    follow = running.stub.wait_for("chat.postMessage", count=2)[1]
    assert "Opus 3.5" in (context_line(follow) or "")
