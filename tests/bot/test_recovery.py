"""A process that dies mid-answer: the question it had taken on is answered once, by its next
run or by another replica, and an answer Slack already accepted is never posted again."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.listeners.events import recover, request_of
from bot.services import build_services
from bot.store.tables import AnswerLog, HandledEvent
from tests.bot.conftest import RunningApp, SlackClient, make_settings, mention
from tests.bot.slack_stub import SlackStub
from tests.bot.test_serve import free_port, start, stop, wait_healthy

# Every claim counts as abandoned by a live replica: what a minute without an answer does.
ALREADY_STALE = timedelta(seconds=-1)
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def test_a_retry_right_after_a_restart_is_answered(
    tmp_path: Path, corpus_dir: Path, stub: SlackStub
) -> None:
    settings = make_settings(tmp_path, corpus_dir, stub.url)
    killed = build_services(settings)
    # The earlier run took the question on, then died before answering it.
    assert killed.events.claim("EvRestart", request_of(mention("what is Orion?"), "mention"))
    restarted = build_services(settings)  # same data directory: the same replica, a new run
    restarted.answers.start()
    app = RunningApp(restarted, stub)
    try:
        app.event(mention("what is Orion?", ts="5.1"), event_id="EvRestart", headers=RETRY)
        (call,) = stub.wait_for("chat.postMessage")
        assert call["thread_ts"] == "5.1"
    finally:
        app.close()


def test_another_replicas_fresh_claim_is_not_taken_over(
    tmp_path: Path, corpus_dir: Path, stub: SlackStub
) -> None:
    first = build_services(make_settings(tmp_path / "a", corpus_dir, stub.url))
    db_url = first.settings.db_url
    other = build_services(make_settings(tmp_path / "b", corpus_dir, stub.url, db_url=db_url))
    request = request_of(mention("what is Orion?"), "mention")
    assert first.events.claim("EvBusy", request)
    # A live replica may still be answering it: neither a retry nor recovery takes it yet.
    assert not other.events.claim("EvBusy", request)
    assert other.events.abandoned() == []


def test_an_answer_slack_accepted_is_not_posted_again(running: RunningApp, monkeypatch) -> None:
    running.event(mention("what is Orion?", ts="6.1"), event_id="EvPosted")
    stub = running.stub
    stub.wait_for("chat.postMessage")
    deadline = time.monotonic() + 10
    while True:  # finished just after the post returns
        with running.services.sessions() as session:
            event = session.get(HandledEvent, "EvPosted")
            logged = session.query(AnswerLog).one()
        if event.done_at is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert event.posted_ts == "1700000000.000100" and event.done_at is not None
    assert (logged.thread_ts, logged.message_ts) == ("6.1", "1700000000.000100")
    # Even long after, when a claim without an answer would be taken over, it is not.
    monkeypatch.setattr("bot.store.events.STALE_CLAIM", ALREADY_STALE)
    running.event(mention("what is Orion?", ts="6.1"), event_id="EvPosted", headers=RETRY)
    time.sleep(1.0)
    assert stub.count("chat.postMessage") == 1


def test_a_finish_the_database_refused_is_written_once_it_is_back(
    running: RunningApp, monkeypatch
) -> None:
    events = running.services.events
    assert events.claim("EvLate", request_of(mention("what is Orion?"), "mention"))

    def refuse(_done) -> None:
        raise OperationalError("UPDATE", {}, Exception("database restarting"))

    monkeypatch.setattr(events, "_record", refuse)
    with pytest.raises(OperationalError):
        events.finish("EvLate", "9.9")
    assert len(events.unfinished) == 1
    monkeypatch.undo()
    assert events.claim("EvNext")  # the next write records what was left
    assert not events.unfinished
    with running.services.sessions() as session:
        assert session.get(HandledEvent, "EvLate").posted_ts == "9.9"


def test_a_killed_serve_answers_on_its_next_run(serve_env: dict[str, str], stub: SlackStub) -> None:
    """Killed (SIGKILL) while posting the answer, before Slack accepted it: Slack had its 200
    and never redelivers, so the next run answers it by itself, and a late retry gets nothing."""
    port = free_port()
    stub.stall("chat.postMessage")
    proc = start(serve_env, "--port", str(port))
    try:
        wait_healthy(port, proc)
        slack = SlackClient(f"http://127.0.0.1:{port}", stub)
        question = mention("why was Opus 3.5 not released?", ts="8.1")
        assert slack.event(question, event_id="EvKilled").status == 200
        stub.wait_until_stalled("chat.postMessage")
    finally:
        proc.kill()
        proc.wait(timeout=10)
    stub.unstall("chat.postMessage")
    assert stub.count("chat.postMessage") == 0

    port = free_port()
    proc = start(serve_env, "--port", str(port))
    try:
        wait_healthy(port, proc)
        (call,) = stub.wait_for("chat.postMessage", timeout=30)
        assert call["thread_ts"] == "8.1" and "Opus" in json.dumps(call["blocks"])
        slack = SlackClient(f"http://127.0.0.1:{port}", stub)
        assert slack.event(question, event_id="EvKilled", headers=RETRY).status == 200
        time.sleep(1.5)
        assert stub.count("chat.postMessage") == 1
    finally:
        logs = stop(proc)
    assert "answering event_id=EvKilled that a stopped process had taken on" in logs


def test_recovery_on_two_replicas_answers_once(
    tmp_path: Path, corpus_dir: Path, stub: SlackStub, monkeypatch, db_url: str
) -> None:
    dead = build_services(make_settings(tmp_path / "dead", corpus_dir, stub.url, db_url))
    assert dead.events.claim("EvOrphan", request_of(mention("what is Orion?"), "mention"))
    monkeypatch.setattr("bot.store.events.STALE_CLAIM", ALREADY_STALE)
    apps = []
    for name in ("a", "b"):
        services = build_services(make_settings(tmp_path / name, corpus_dir, stub.url, db_url))
        services.answers.start()
        apps.append(RunningApp(services, stub))
    try:
        assert sum(recover(app.services, app.app.client) for app in apps) >= 1
        stub.wait_for("chat.postMessage")
        time.sleep(0.5)
        assert stub.count("chat.postMessage") == 1
    finally:
        for app in apps:
            app.close()
