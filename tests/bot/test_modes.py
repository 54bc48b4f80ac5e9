"""Auto mode through the real Bolt path, and what counts as a question in it, measured on
60 Slack-style messages (tests/bot/messages.jsonl: 30 questions and 30 statements, English
and Chinese)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.store.channel_modes import ChannelModes
from bot.text import is_question
from tests.bot.conftest import ADMIN, RunningApp
from tests.bot.test_slack_app import ack_text

MESSAGES = [
    json.loads(line) for line in (Path(__file__).parent / "messages.jsonl").read_text().splitlines()
]


def test_the_question_detector_on_sixty_messages() -> None:
    asked = [m for m in MESSAGES if is_question(m["text"])]
    right = [m for m in asked if m["question"]]
    precision = len(right) / len(asked)
    recall = len(right) / sum(m["question"] for m in MESSAGES)
    print(f"question detector: precision {precision:.2f}, recall {recall:.2f} on {len(MESSAGES)}")
    assert len(MESSAGES) == 60
    assert precision >= 0.9 and recall >= 0.9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is gpt-5 out yet", True),
        ("Opus 3.5 为什么没有发布", True),
        ("这是真的吗～", True),
        ("哪怕延期也没关系", False),
        ("Do not share the draft.", False),
        ("", False),
        ("gpt-5 is out", False),
    ],
)
def test_questions_in_both_languages(text: str, expected: bool) -> None:
    assert is_question(text) is expected


def test_a_channel_mode_is_stored_and_defaults_to_mention(sessions) -> None:
    modes = ChannelModes(sessions)
    assert modes.mode("C1") == "mention"
    modes.set_mode("C1", "auto", "U1")
    assert ChannelModes(sessions).mode("C1") == "auto"  # read back from the database
    modes.set_mode("C1", "mention", "U1")
    assert ChannelModes(sessions).mode("C1") == "mention"
    with pytest.raises(ValueError):
        modes.set_mode("C1", "loud", "U1")


def channel_message(text: str, ts: str, **extra: object) -> dict[str, object]:
    return {
        "type": "message",
        "channel": "C1",
        "channel_type": "channel",
        "user": "UASKER",
        "text": text,
        "ts": ts,
        **extra,
    }


def test_a_channel_in_auto_mode_answers_questions_and_nothing_else(running: RunningApp) -> None:
    stub = running.stub
    question = channel_message("why was Opus 3.5 not released?", "600.1")
    running.event(question, event_id="EvBefore")  # mention mode: not for us
    assert "answers here when mentioned" in ack_text(running.command("mode"))
    assert "Done" in ack_text(running.command("mode auto", user_id=ADMIN))
    assert "answers every question" in ack_text(running.command("mode"))

    ignored = [
        channel_message("Opus 3.5 was never released, that's the story", "601.1"),
        channel_message("why was Opus 3.5 not released?", "602.1", bot_id="B9"),
        channel_message("why?", "603.1", subtype="message_changed"),
        channel_message("why was Opus 3.5 not released?", "604.1", thread_ts="599.1"),
        channel_message("<@UBOT> why was Opus 3.5 not released?", "605.1"),  # app_mention's
    ]
    for n, event in enumerate(ignored):
        assert running.event(event, event_id=f"EvIgnored{n}").status == 200
    running.event(channel_message("why was Opus 3.5 not released?", "606.1"), event_id="EvAuto")
    (answered,) = stub.wait_for("chat.postMessage", timeout=30)
    assert answered["thread_ts"] == "606.1"
    # A follow-up in the thread rumorbot answered is answered too.
    follow = channel_message("and who reported that?", "607.1", thread_ts="606.1")
    running.event(follow, event_id="EvAutoThread")
    assert stub.wait_for("chat.postMessage", count=2, timeout=30)[1]["thread_ts"] == "606.1"
    time.sleep(1)
    assert stub.count("chat.postMessage") == 2


def test_only_admins_or_the_creator_change_the_mode(running: RunningApp) -> None:
    stub = running.stub
    stub.extra["conversations.info"] = {"ok": True, "channel": {"id": "C1", "creator": "UMAKER"}}
    assert ack_text(running.command("mode auto", user_id="USOMEONE")) == ""
    (refused,) = stub.wait_for("response/USOMEONE", timeout=30)
    assert "only admins can change this channel's mode" in refused["text"]
    assert running.services.modes.mode("C1") == "mention"
    running.command("mode auto", user_id="UMAKER")
    (done,) = stub.wait_for("response/UMAKER", timeout=30)
    assert done["text"].startswith("Done") and running.services.modes.mode("C1") == "auto"
    assert "Modes are per channel" in ack_text(running.command("mode auto", channel_id="D1"))
