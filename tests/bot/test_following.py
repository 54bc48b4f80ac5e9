"""Following topics: /rumor follow · unfollow · following, digests after a corpus change
(through the real Bolt path and the stub Web API), claims across replicas, and App Home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.app import configure_client
from bot.outbox.digests import KIND
from bot.services import Services
from bot.store.subscriptions import MAX_TOPICS
from tests.bot.conftest import ADMIN, RunningApp, at_once, mention, started_replicas
from tests.bot.slack_stub import SlackStub
from tests.bot.test_slack_app import ack_text

ORION_NEWS = "据 Example Wire 报道，Orion 的训练已经在今年秋天完成，并将以新的名字发布。"
UNRELATED = "另一条消息说，数据中心的电费账单又创了新高，这与任何模型都无关。"


def add_orion_source(corpus_dir: Path) -> None:
    (corpus_dir / "005_orion.md").write_text(
        "---\ntitle: Orion 的新消息\noutlet: Example Wire\ndate: 2026-11-20\n---\n\n"
        f"## Orion\n\n{ORION_NEWS}\n\n## 其他\n\n{UNRELATED}\n"
    )


def blocks_text(call: dict) -> str:
    blocks = call.get("blocks")
    return blocks if isinstance(blocks, str) else json.dumps(blocks, ensure_ascii=False)


def client_for(services: Services) -> WebClient:
    client = WebClient(token="xoxb-test-token")
    configure_client(client, services.settings)
    return client


def test_follow_unfollow_and_following(running: RunningApp) -> None:
    assert "now follows *Orion*" in ack_text(running.command("follow Orion", channel_id="C1"))
    assert "already follows Orion" in ack_text(running.command("follow  orion ", channel_id="C1"))
    assert "Orion" in ack_text(running.command("following", channel_id="C1"))
    assert "follows no topics" in ack_text(running.command("following", channel_id="C2"))

    # As Slack sends it: its own markup raw, the user's "<" and ">" escaped.
    hostile = ack_text(
        running.command("follow <!channel> &lt;b&gt;GPT-5&lt;/b&gt;", channel_id="C3")
    )
    assert "<!channel>" not in hostile and "&lt;b&gt;GPT-5&lt;/b&gt;" in hostile
    assert "at most 80" in ack_text(running.command("follow " + "x" * 81, channel_id="C3"))
    assert "Give a topic" in ack_text(running.command("follow", channel_id="C3"))
    assert "followed by channels" in ack_text(running.command("follow Orion", channel_id="D1"))

    assert "no longer follows ORION" in ack_text(running.command("unfollow ORION", channel_id="C1"))
    assert "does not follow Orion" in ack_text(running.command("unfollow Orion", channel_id="C1"))
    assert "follows no topics" in ack_text(running.command("following", channel_id="C1"))


def test_a_channel_follows_a_bounded_number_of_topics(services: Services) -> None:
    for n in range(MAX_TOPICS):
        services.subscriptions.follow("C1", f"topic {n}", "U1")
    with pytest.raises(ValueError, match="already follows 20 topics"):
        services.subscriptions.follow("C1", "one more", "U1")
    assert services.subscriptions.follow("C2", "one more", "U1") == ("one more", True)


def test_a_reload_sends_one_digest_to_the_channel_following_what_changed(
    running: RunningApp, corpus_dir: Path
) -> None:
    running.command("follow Orion", channel_id="C1")
    running.command("follow Opus 3.5", channel_id="C2")
    add_orion_source(corpus_dir)
    running.command("reload", user_id=ADMIN)
    (report,) = running.stub.wait_for(f"response/{ADMIN}", timeout=60)
    assert "Digests sent to 1 following channel" in report["text"]

    (digest,) = running.stub.wait_for("chat.postMessage")
    assert digest["channel"] == "C1"
    shown = blocks_text(digest)
    assert ORION_NEWS in shown and UNRELATED not in shown  # the topic's passage only
    assert "Example Wire" in shown and "2026-11-20" in shown and "New source" in shown
    assert "newer than everything quoted before" in shown

    # Any later sweep (this replica's or another's) finds it claimed and done.
    assert running.services.digests.deliver(running.app.client) == []
    assert running.stub.count("chat.postMessage") == 1


def test_a_removed_source_is_news_for_its_topic(services: Services, stub, corpus_dir) -> None:
    add_orion_source(corpus_dir)
    services.answers.reload("test")
    services.subscriptions.follow("C1", "Orion", "U1")
    (corpus_dir / "005_orion.md").unlink()
    services.answers.reload("test")
    (sent,) = services.digests.deliver(client_for(services))
    (news,) = sent.news
    assert [g.text for g in news.gone] == [ORION_NEWS] and not news.new
    assert "no longer quoted" in blocks_text(stub.wait_for("chat.postMessage")[0])


def test_failed_digests_are_retried_unless_slack_refuses_for_good(
    services: Services, stub: SlackStub, corpus_dir: Path
) -> None:
    services.subscriptions.follow("C1", "Orion", "U1")
    services.subscriptions.follow("C2", "Orion", "U1")
    add_orion_source(corpus_dir)
    version = services.answers.reload("test").served_version
    stub.scripted["chat.postMessage"] = [
        (200, {}, {"ok": False, "error": "fatal_error"}),  # C1: Slack's trouble, retried
        (200, {}, {"ok": False, "error": "not_in_channel"}),  # C2: ours, not retried
    ]
    client = client_for(services)
    assert services.digests.deliver(client) == []
    notifications = services.notifications
    assert notifications.status(KIND, version, "C1") == "retry"
    assert notifications.status(KIND, version, "C2") == "failed"
    (retried,) = services.digests.deliver(client)
    assert retried.channel_id == "C1" and notifications.status(KIND, version, "C1") == "posted"
    assert services.digests.deliver(client) == []
    assert [c["channel"] for c in stub.calls["chat.postMessage"]] == ["C1", "C2", "C1"]


def test_a_topic_followed_after_the_change_hears_nothing_of_it(
    services: Services, stub: SlackStub, corpus_dir: Path
) -> None:
    add_orion_source(corpus_dir)
    services.answers.reload("test")
    services.subscriptions.follow("C1", "Orion", "U1")
    assert services.digests.deliver(client_for(services)) == []


def test_a_digest_is_claimed_once_across_replicas(
    tmp_path: Path, corpus_dir: Path, stub: SlackStub, db_url: str
) -> None:
    replicas = started_replicas(tmp_path, corpus_dir, stub.url, db_url)
    a, b = replicas
    assert a.owner != b.owner
    a.subscriptions.follow("C1", "Orion", "U1")
    add_orion_source(corpus_dir)
    a.answers.reload("test")
    assert b.answers.refresh()

    sent = at_once(lambda r: len(r.digests.deliver(client_for(r))), replicas)
    assert sorted(sent) == [0, 1]
    assert stub.count("chat.postMessage") == 1


def test_app_home_shows_the_corpus_topics_and_own_questions(running: RunningApp) -> None:
    running.event(mention("why was Opus 3.5 not released?"), event_id="EvHomeQ")
    running.stub.wait_for("chat.postMessage")
    running.command("follow Orion", channel_id="C1")
    running.command("follow GPT-5", channel_id="C9")  # a channel the user is not in
    running.stub.extra["users.conversations"] = {
        "ok": True,
        "channels": [{"id": "C1"}],
        "response_metadata": {"next_cursor": ""},
    }
    opened = {"type": "app_home_opened", "user": "UASKER", "channel": "D1", "tab": "home"}
    assert running.event(opened, event_id="EvHome").status == 200
    (publish,) = running.stub.wait_for("views.publish")
    assert publish["user_id"] == "UASKER"
    view = json.loads(publish["view"]) if isinstance(publish["view"], str) else publish["view"]
    shown = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and "Corpus version 1" in shown
    assert "GPT-5难产内幕曝光" in shown and "2025-08-03" in shown
    assert "<#C1>: Orion" in shown and "C9" not in shown
    assert "why was Opus 3.5 not released?" in shown

    # Opening the Messages tab publishes nothing.
    messages = {**opened, "tab": "messages"}
    running.event(messages, event_id="EvHome2")
    running.stub.wait_for("views.publish")
    assert running.stub.count("views.publish") == 1
