"""The Slack app through real signed HTTP requests, against a stub Slack Web API."""

from __future__ import annotations

import json
import logging
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.blocks import FEEDBACK_ACTION
from bot.services import build_services
from bot.store.tables import Feedback
from retrieval.index import IndexPublisher
from tests.bot.conftest import ADMIN, RunningApp, answer_id_of, make_settings, mention
from tests.bot.slack_stub import DEFAULTS


def blocks_text(call: dict) -> str:
    blocks = call.get("blocks")
    return blocks if isinstance(blocks, str) else json.dumps(blocks or [], ensure_ascii=False)


def ack_text(response) -> str:
    """Bolt answers a text-only ack as plain text, anything richer as JSON."""
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return response.body


def sections(call: dict) -> list[dict]:
    blocks = call["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return blocks


# -- asking ---------------------------------------------------------------------------


def test_mention_is_answered_in_its_thread(running: RunningApp) -> None:
    started = time.perf_counter()
    response = running.event(mention("Orion 为什么失败？", ts="111.222"))
    assert response.status == 200
    assert time.perf_counter() - started < 3  # the ack never waits for the answer
    (call,) = running.stub.wait_for("chat.postMessage")
    assert call["channel"] == "C1" and call["thread_ts"] == "111.222"
    rendered = blocks_text(call)
    assert "confidence" in rendered.lower() or "Not in the sources" in rendered
    assert "Corpus version 1" in rendered
    (feedback,) = [b for b in sections(call) if b["type"] == "context_actions"]
    assert feedback["elements"][0]["type"] == "feedback_buttons"


def test_one_log_line_per_answer_with_the_question_only_when_configured(
    running: RunningApp, caplog
) -> None:
    def answered_line(event_id: str) -> str:
        running.event(mention("What is Orion?\nreally", ts="5.5"), event_id=event_id)
        running.stub.wait_for("chat.postMessage", count=int(event_id[-1]))
        lines = [m for r in caplog.records if f"request_id={event_id}" in (m := r.getMessage())]
        assert len(lines) == 1
        return lines[0]

    with caplog.at_level(logging.INFO, logger="bot.answering"):
        line = answered_line("EvLog1")
        assert line.startswith("answered surface=mention") and "label=" in line
        assert "Orion" not in line
        running.services.settings.log_questions = True
        line = answered_line("EvLog2")
    assert line.endswith("question='What is Orion?\\nreally'")  # quoted, on one line


def test_mention_inside_a_thread_answers_in_that_thread(running: RunningApp) -> None:
    running.event(mention("What is Orion?", ts="222.333", thread_ts="222.000"))
    (call,) = running.stub.wait_for("chat.postMessage")
    assert call["thread_ts"] == "222.000"


def test_direct_message_is_answered(running: RunningApp) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "UASKER",
        "text": "什么是通用验证器？",
        "ts": "333.444",
    }
    running.event(event, event_id="EvDM")
    (call,) = running.stub.wait_for("chat.postMessage")
    assert call["channel"] == "D1" and call["thread_ts"] == "333.444"


def test_bots_edits_and_channel_chatter_are_ignored(running: RunningApp) -> None:
    base = {"type": "message", "channel_type": "im", "channel": "D1", "ts": "1.1"}
    running.event({**base, "user": "UBOT", "text": "my own answer"}, event_id="E1")
    running.event({**base, "bot_id": "B2", "user": "U2", "text": "another bot"}, event_id="E2")
    running.event({**base, "subtype": "message_changed", "text": "edit"}, event_id="E3")
    running.event(
        {**base, "channel_type": "channel", "user": "U2", "text": "chatter"}, event_id="E4"
    )
    running.event(mention("control question: what is Orion?", ts="9.9"), event_id="E5")
    running.stub.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert running.stub.count("chat.postMessage") == 1  # only the control question


def test_empty_mention_gets_a_usage_hint(running: RunningApp) -> None:
    running.event({**mention(""), "text": "<@UBOT>"})
    (call,) = running.stub.wait_for("chat.postMessage")
    assert "Ask me a question" in call["text"]


def test_huge_message_is_cut_not_rejected(running: RunningApp) -> None:
    running.event(mention("Orion " + "为什么失败？" * 7000))  # ~42,000 characters
    (call,) = running.stub.wait_for("chat.postMessage")
    blocks = sections(call)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    with running.services.sessions() as session:
        from bot.store.tables import AnswerLog

        (logged,) = session.query(AnswerLog).all()
        assert len(logged.question) == 2000


def test_broadcast_mentions_and_links_are_neutralised(running: RunningApp) -> None:
    hostile = (
        "&lt;!channel&gt; &lt;@U999&gt; &lt;http://evil.example|click&gt; <!here> what is Orion?"
    )
    running.event(mention(hostile))
    (call,) = running.stub.wait_for("chat.postMessage")
    rendered = blocks_text(call) + call.get("text", "")
    for forged in ("<!channel>", "<!here>", "<@U999>", "<http://evil.example|click>"):
        assert forged not in rendered
    assert "&lt;!channel&gt;" in rendered  # shown, escaped, harmless


def test_control_characters_are_removed_before_search(running: RunningApp) -> None:
    running.event(mention("what\x00 is\x07 Orion\ud800?"))
    running.stub.wait_for("chat.postMessage")
    with running.services.sessions() as session:
        from bot.store.tables import AnswerLog

        (logged,) = session.query(AnswerLog).all()
        assert logged.question == "what is Orion?"


# -- Slack's delivery rules -------------------------------------------------------------


def test_retried_event_is_answered_once(running: RunningApp) -> None:
    running.event(mention("What is Orion?"), event_id="EvRetry")
    running.stub.wait_for("chat.postMessage")
    retry = running.event(
        mention("What is Orion?"),
        event_id="EvRetry",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status == 200
    time.sleep(1.0)
    assert running.stub.count("chat.postMessage") == 1


def test_event_whose_first_delivery_was_lost_is_answered(running: RunningApp) -> None:
    running.event(
        mention("What is Orion?"),
        event_id="EvLost",
        headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"},
    )
    running.stub.wait_for("chat.postMessage")


def test_retry_to_another_replica_is_answered_once(
    running: RunningApp, tmp_path: Path, corpus_dir: Path
) -> None:
    # A second replica on the same database (its own data dir, index and Bolt app).
    other_settings = make_settings(
        tmp_path / "replica2",
        corpus_dir,
        running.stub.url,
        db_url=running.services.settings.db_url,
    )
    other = build_services(other_settings)
    other.answers.start()
    replica = RunningApp(other, running.stub)
    try:
        running.event(mention("What is Orion?"), event_id="EvTwo")
        replica.event(
            mention("What is Orion?"), event_id="EvTwo", headers={"X-Slack-Retry-Num": "1"}
        )
        running.stub.wait_for("chat.postMessage")
        time.sleep(1.0)
        assert running.stub.count("chat.postMessage") == 1
    finally:
        replica.close()


def test_bad_and_stale_signatures_get_401_and_nothing_else(running: RunningApp) -> None:
    bad = running.event(mention("What is Orion?"), event_id="EvBad", secret="wrong-secret")
    stale = running.event(
        mention("What is Orion?"), event_id="EvOld", timestamp=int(time.time()) - 6 * 60
    )
    assert bad.status == 401 and stale.status == 401
    command = running.command("sources", secret="wrong-secret")
    assert command.status == 401
    time.sleep(0.5)
    assert running.stub.count("chat.postMessage") == 0
    with running.services.sessions() as session:
        from bot.store.tables import AnswerLog, HandledEvent

        assert session.query(HandledEvent).count() == 0
        assert session.query(AnswerLog).count() == 0


def test_rate_limited_post_is_retried(running: RunningApp) -> None:
    running.stub.scripted["chat.postMessage"].append(
        (429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"})
    )
    running.event(mention("What is Orion?"), event_id="EvRate")
    calls = running.stub.wait_for("chat.postMessage", count=2)
    assert calls[0] == calls[1]


def test_an_error_gets_an_apology_not_silence(running: RunningApp, monkeypatch) -> None:
    def broken(question: str):
        raise RuntimeError("index exploded at /secret/path")

    monkeypatch.setattr(running.services.answers, "ask", broken)
    running.event(mention("What is Orion?"), event_id="EvErr")
    (call,) = running.stub.wait_for("chat.postMessage")
    assert call["text"].startswith("Sorry")
    assert "/secret/path" not in call["text"] and "Traceback" not in call["text"]


# -- commands -----------------------------------------------------------------------------


def test_rumor_ask_is_private_with_a_share_button(running: RunningApp) -> None:
    ack = running.command("ask Orion 为什么失败？")
    assert ack.status == 200 and "Looking" in ack.body
    (reply,) = running.stub.wait_for("response/UASKER")
    assert reply["response_type"] == "ephemeral"
    buttons = [
        e["action_id"] for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["share_answer"]
    answer_id = answer_id_of(reply["blocks"])
    running.action("share_answer", answer_id)
    (shared,) = running.stub.wait_for("chat.postMessage")
    assert shared["channel"] == "C1" and "<@UASKER>" in shared["text"]


def test_rumor_ask_without_a_question_gets_usage(running: RunningApp) -> None:
    ack = running.command("ask   ")
    assert "Ask me a question" in ack.body


def test_sources_and_help(running: RunningApp) -> None:
    sources = running.command("sources").json()
    rendered = json.dumps(sources, ensure_ascii=False)
    assert rendered.count("passages ·") == 5 and "Corpus version 1" in rendered
    assert "2025-08-03" in rendered and "GPT-5难产内幕曝光" in rendered
    for text in ("help", ""):
        help_text = json.dumps(running.command(text).json(), ensure_ascii=False)
        assert "/rumor sources" in help_text and "/rumor reload" in help_text


def test_reload_is_for_admins_only(running: RunningApp) -> None:
    refusal = ack_text(running.command("reload", user_id="UNOBODY"))
    assert "only admins can reload" in refusal and f"<@{ADMIN}>" in refusal
    time.sleep(0.3)
    assert running.stub.count("response/UNOBODY") == 0
    assert running.services.store.current_version().id == 1


def test_admin_reload_reports_what_changed(running: RunningApp, corpus_dir: Path) -> None:
    (corpus_dir / "005_new.txt").write_text(
        "新传闻\n\n据报道，Zorblax 9 将在明年发布，这是一个新的测试传闻。\n"
    )
    (corpus_dir / "broken.txt").write_bytes(b"\x00\x01\x02")
    ack = running.command("reload", user_id=ADMIN)
    assert ack.status == 200 and "Reloading" in ack_text(ack)
    (report,) = running.stub.wait_for(f"response/{ADMIN}")
    assert "005_new.txt" in report["text"] and "broken.txt" in report["text"]
    assert running.services.answers.snapshot.version == 2


def test_questions_keep_being_answered_during_a_reload(
    running: RunningApp, corpus_dir: Path, monkeypatch
) -> None:
    (corpus_dir / "005_new.txt").write_text(
        "新传闻\n\n据报道，Zorblax 9 将在明年发布，这是一个新的测试传闻。\n"
    )
    original = IndexPublisher.build
    building = threading.Event()

    def slow_build(self, embedder, served=None):
        building.set()
        time.sleep(2.0)
        return original(self, embedder, served)

    monkeypatch.setattr(IndexPublisher, "build", slow_build)
    running.command("reload", user_id=ADMIN)
    assert building.wait(10)
    second = running.command("reload", user_id=ADMIN)
    assert second.status == 200
    for n in range(3):
        running.event(mention("What is Orion?", ts=f"5.{n}"), event_id=f"EvDuring{n}")
    during = running.stub.wait_for("chat.postMessage", count=3)
    assert all("Corpus version 1" in blocks_text(c) for c in during)
    replies = running.stub.wait_for(f"response/{ADMIN}", count=2, timeout=30)
    assert any("already running" in r["text"] for r in replies)
    assert any("Reload finished" in r["text"] for r in replies)
    running.event(mention("What is Orion?", ts="6.0"), event_id="EvAfter")
    # The reload may also have changed an answer given during it, and said so in that answer's
    # thread (a correction notice, in any order with this answer): find this one by its thread.
    posted = running.stub.wait_for("chat.postMessage", count=4)
    if not any(c.get("thread_ts") == "6.0" for c in posted):
        posted = running.stub.wait_for("chat.postMessage", count=len(posted) + 1)
    (after,) = [c for c in posted if c.get("thread_ts") == "6.0"]
    assert "Corpus version 2" in blocks_text(after)


def test_feedback_and_stats(running: RunningApp) -> None:
    running.event(mention("What is Orion?"), event_id="EvFb")
    (call,) = running.stub.wait_for("chat.postMessage")
    answer_id = answer_id_of(sections(call))
    records = running.services.records
    running.action(FEEDBACK_ACTION, f"up:{answer_id}", "U1", kind="feedback_buttons")
    running.action(FEEDBACK_ACTION, f"down:{answer_id}", "U2", kind="feedback_buttons")
    # 👎 asks why in a modal, opened with the click's trigger; the vote counts already.
    (opened,) = running.stub.wait_for("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert opened["trigger_id"] == "1.2.3" and view["private_metadata"] == answer_id
    wait_until(lambda: records.stats().thumbs_down == 1)
    # A changed mind replaces the vote: one vote per user and answer.
    running.action(FEEDBACK_ACTION, f"up:{answer_id}", "U2", kind="feedback_buttons")
    running.stub.wait_for("response/action-U2", count=1)
    running.stub.wait_for("response/action-U1", count=1)
    wait_until(lambda: records.stats().thumbs_up == 2)
    stats = records.stats()
    assert (stats.questions, stats.thumbs_up, stats.thumbs_down) == (1, 2, 0)

    # The reason, with and without a comment (the comment cut and cleaned, never trusted).
    running.submit(feedback_view(answer_id, "outdated", "see the 2026 report\u202e" + "x" * 600))
    running.submit(feedback_view(answer_id, "wrong_quotes"), user_id="U3")
    wait_until(lambda: records.stats().reasons == {"outdated": 1, "wrong_quotes": 1})
    assert records.stats().thumbs_down == 2  # a reason is a 👎
    with running.services.sessions() as session:
        comments = dict(session.execute(select(Feedback.user_id, Feedback.comment)).all())
    assert comments["U3"] is None
    assert comments["UASKER"].startswith("see the 2026 report") and len(comments["UASKER"]) == 500
    assert "\u202e" not in comments["UASKER"]
    text = ack_text(running.command("stats", user_id=ADMIN))
    assert "Questions answered:* 1" in text and "👍 2 · 👎 2" in text and "Outdated: 1" in text
    assert "only admins" in ack_text(running.command("stats", user_id="U1"))


def test_buttons_of_answers_posted_before_feedback_buttons_still_work(
    running: RunningApp,
) -> None:
    running.event(mention("What is Orion?"), event_id="EvOld")
    answer_id = answer_id_of(sections(running.stub.wait_for("chat.postMessage")[0]))
    records = running.services.records
    running.action("feedback_down", answer_id, user_id="U1")
    running.stub.wait_for("views.open")
    wait_until(lambda: records.stats().thumbs_down == 1)
    running.submit(feedback_view(answer_id, "outdated"), user_id="U1")
    wait_until(lambda: records.stats().reasons == {"outdated": 1})
    # The 👎 of the new buttons counted again after its reason keeps the reason.
    running.action(FEEDBACK_ACTION, f"down:{answer_id}", "U1", kind="feedback_buttons")
    running.stub.wait_for("views.open", count=2)
    time.sleep(0.5)
    assert records.stats().reasons == {"outdated": 1}
    running.action("feedback_up", answer_id, user_id="U1")  # 👍 clears it
    wait_until(lambda: records.stats().thumbs_up == 1)
    assert records.stats().reasons == {}


def feedback_view(answer_id: str, reason: str, comment: str | None = None) -> dict[str, Any]:
    return {
        "callback_id": "feedback_reason",
        "private_metadata": answer_id,
        "state": {
            "values": {
                "reason": {
                    "reason": {"type": "radio_buttons", "selected_option": {"value": reason}}
                },
                "comment": {"comment": {"type": "plain_text_input", "value": comment}},
            }
        },
    }


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def test_health_and_metrics(running: RunningApp) -> None:
    health = running.get("/healthz")
    assert health.status == 200 and health.json()["corpus_version"] == 1
    running.event(mention("What is Orion?"), event_id="EvMetrics")
    running.stub.wait_for("chat.postMessage")
    metrics = running.get("/metrics").body
    assert "rumorbot_answers_total" in metrics and "rumorbot_answer_seconds_bucket" in metrics
    assert running.get("/nope").status == 404


def test_health_is_503_until_the_index_is_loaded(tmp_path: Path, corpus_dir: Path, stub) -> None:
    services = build_services(make_settings(tmp_path, corpus_dir, stub.url))
    app = RunningApp(services, stub)
    try:
        assert app.get("/healthz").status == 503
        services.answers.start()
        assert app.get("/healthz").status == 200
    finally:
        app.close()


def test_rumor_timeline(running: RunningApp) -> None:
    """The list in the channel, the picture (a PNG) uploaded into its thread."""
    assert running.command("timeline").status == 200
    running.command("timeline GPT-5")
    (posted,) = running.stub.wait_for("chat.postMessage", timeout=30)
    rendered = blocks_text(posted)
    assert posted["channel"] == "C1" and "Timeline: *GPT-5*" in rendered
    assert "date unknown" in rendered and "<@UASKER>" in rendered
    assert (
        rendered.index("2023-06-08") < rendered.index("2025-08-03") < rendered.index("date unknown")
    )
    (asked,) = running.stub.wait_for("files.getUploadURLExternal")
    (done,) = running.stub.wait_for("files.completeUploadExternal")
    (png,) = running.stub.uploads
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and int(asked["length"]) == len(png)
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 1000 and 300 <= height <= 2000
    assert asked["filename"] == "timeline.png" and asked.get("alt_txt")
    assert done["channel_id"] == "C1" and done["thread_ts"] == DEFAULTS["chat.postMessage"]["ts"]
    assert running.stub.count("response/UASKER") == 0  # nothing more to say


def test_a_hostile_timeline_topic_pings_nobody(running: RunningApp, monkeypatch) -> None:
    # Whatever the topic, GPT-5's passages: the timeline is posted in the channel.
    engine = running.services.answers
    gpt5 = engine.timeline("GPT-5")
    monkeypatch.setattr(engine, "timeline", lambda topic: gpt5)
    running.command("timeline GPT-5 &lt;!channel&gt; &lt;@U999&gt;")
    posted = running.stub.wait_for("chat.postMessage", timeout=30)[0]
    for said in (posted["text"], blocks_text(posted)):
        assert "<!channel>" not in said and "<@U999>" not in said
    assert "&lt;!channel&gt;" in posted["text"]


def test_rumor_timeline_without_the_files_scope(running: RunningApp) -> None:
    running.stub.scripted["files.getUploadURLExternal"].append(
        (200, {}, {"ok": False, "error": "missing_scope", "needed": "files:write"})
    )
    running.command("timeline GPT-5")
    (posted,) = running.stub.wait_for("chat.postMessage", timeout=30)
    assert "Timeline: *GPT-5*" in blocks_text(posted)
    (note,) = running.stub.wait_for("response/UASKER")
    assert "`files:write`" in note["text"] and note["response_type"] == "ephemeral"
    assert len(note["text"].splitlines()) == 1 and not running.stub.uploads


def test_rumor_timeline_where_the_bot_cannot_post(running: RunningApp) -> None:
    running.stub.scripted["chat.postMessage"].append(
        (200, {}, {"ok": False, "error": "not_in_channel"})
    )
    running.command("timeline GPT-5")
    (reply,) = running.stub.wait_for("response/UASKER", timeout=30)
    assert reply["response_type"] == "ephemeral" and "Timeline: *GPT-5*" in blocks_text(reply)
    assert (
        "Invite me" in blocks_text(reply) and running.stub.count("files.getUploadURLExternal") == 0
    )
