"""Requests Slack would never send, and Slack having a bad moment: rejected before any work,
logged without their body, and answers that survive a transient Slack error."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request

import pytest

from bot.app import create_app
from tests.bot.conftest import SECRET, Response, RunningApp, mention


def raw_post(app: RunningApp, body: bytes, content_type: str, **headers: str) -> Response:
    """A request signed over its raw bytes (or with the headers given)."""
    ts = headers.pop("timestamp", str(int(time.time())))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        app.url + "/slack/events",
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Response(response.status, response.read().decode())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.read().decode())


def unhandled_errors(app: RunningApp) -> float:
    return app.services.metrics.errors.labels("unhandled")._value.get()


def test_rejected_requests_are_logged_without_their_body(running: RunningApp, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"type": "event_callback", "event": {"text": "FORGED-QUESTION-TEXT"}})
    response = running.post(body, "application/json", secret="not-the-secret")
    assert response.status == 401
    assert "FORGED-QUESTION-TEXT" not in caplog.text
    assert "rejected request status=401" in caplog.text and f"bytes={len(body)}" in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type", "headers"),
    [
        (b'{"type": "event_callback", "event": {"type": "app_men', "application/json", {}),
        (b'[1, 2, 3]', "application/json", {}),
        (b"payload=%7B%22type%22%3A%22block_act", "application/x-www-form-urlencoded", {}),
        (b"%%%not&&form==", "application/x-www-form-urlencoded", {}),
        (b'{"text": "\xff\xfe caf\xe9"}', "application/json", {}),
        (b'{"type": "event_callback"}', "application/json", {"timestamp": "soon"}),
    ],
    ids=["truncated-json", "json-not-object", "truncated-payload", "not-urlencoded",
         "not-utf8", "timestamp-not-a-number"],
)  # fmt: skip
def test_malformed_requests_get_400_not_500(
    running: RunningApp, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    response = raw_post(running, body, content_type, **headers)
    assert response.status == 400, response.body
    assert unhandled_errors(running) == 0
    assert running.stub.count("chat.postMessage") == 0


def test_truncated_and_unsigned_is_a_signature_problem(running: RunningApp) -> None:
    response = raw_post(running, b'{"type": "event_cal', "application/json", **{
        "X-Slack-Signature": "v0=" + "0" * 64})  # fmt: skip
    assert response.status == 401


def test_a_body_over_the_limit_gets_413(running: RunningApp) -> None:
    huge = json.dumps({"type": "event_callback", "event": {"text": "x" * 1_200_000}})
    assert raw_post(running, huge.encode(), "application/json").status == 413
    assert running.stub.count("chat.postMessage") == 0


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"},
        {"type": "member_joined_channel", "user": "U1", "channel": "C1"},
        {"type": "reaction_added", "user": "U1", "reaction": "eyes", "item": {"type": "message"}},
    ],
)
def test_every_event_is_acked_with_200(running: RunningApp, event: dict) -> None:
    assert running.event(event, event_id=f"Ev-{event['type']}").status == 200


def test_other_bots_are_not_answered(running: RunningApp) -> None:
    running.event(mention("why was Opus 3.5 not released?", bot_id="B999"), event_id="EvBot")
    running.event(mention("why was Opus 3.5 not released?", ts="2.0"), event_id="EvHuman")
    (call,) = running.stub.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert running.stub.count("chat.postMessage") == 1 and call["thread_ts"] == "2.0"


def test_bidi_and_zero_width_characters_are_not_echoed(running: RunningApp) -> None:
    running.event(mention("why was \u202eOpus\u200b 3.5\u2066 not released?\ufeff"))
    (call,) = running.stub.wait_for("chat.postMessage")
    text = json.dumps(call["blocks"], ensure_ascii=True)
    for hidden in ("\\u202e", "\\u200b", "\\u2066", "\\ufeff"):
        assert hidden not in text
    assert "Opus 3.5" in json.dumps(call["blocks"], ensure_ascii=False)


def test_a_transient_slack_500_is_retried_not_apologised_for(running: RunningApp) -> None:
    running.stub.scripted["chat.postMessage"].append((500, {}, {"ok": False}))
    running.event(mention("why was Opus 3.5 not released?"))
    calls = running.stub.wait_for("chat.postMessage", count=2, timeout=30)
    time.sleep(0.5)
    assert running.stub.count("chat.postMessage") == 2
    assert "Sorry" not in calls[1].get("text", "") and calls[1].get("blocks")


def test_an_unfixable_slack_error_is_logged_and_counted_once(running: RunningApp, caplog) -> None:
    caplog.set_level(logging.ERROR)
    running.stub.scripted["chat.postMessage"].append(
        (200, {}, {"ok": False, "error": "not_in_channel"})
    )
    running.event(mention("why was Opus 3.5 not released?"))
    running.stub.wait_for("chat.postMessage")
    deadline = time.monotonic() + 10
    slack_errors = running.services.metrics.errors.labels("slack_api")
    while slack_errors._value.get() < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    assert running.stub.count("chat.postMessage") == 1  # no retry, no apology into the void
    assert slack_errors._value.get() == 1 and "error=not_in_channel" in caplog.text
    assert unhandled_errors(running) == 0


def test_no_warning_about_an_unused_token(services, monkeypatch, caplog) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.WARNING)
    app = create_app(services.settings, services)
    assert "will be unused" not in caplog.text
    assert app.client.base_url == services.settings.slack_api_base_url


def test_commands_are_acked_at_once_while_every_worker_is_busy(
    running: RunningApp, monkeypatch
) -> None:
    ask = running.services.answers.ask

    def slow_ask(question: str):
        time.sleep(4)  # Slack's Web API or the database having a slow day
        return ask(question)

    monkeypatch.setattr(running.services.answers, "ask", slow_ask)
    for i in range(12):  # more than the 8 workers that answer
        assert (
            running.event(mention("what is Orion?", ts=f"5.{i}"), event_id=f"EvB{i}").status == 200
        )
    for text in ("help", "sources", "ask why was Opus 3.5 not released?"):
        started = time.perf_counter()
        response = running.command(text)
        assert response.status == 200 and response.body, text
        assert time.perf_counter() - started < 2.5, text
    assert "How to use rumorbot" in response.body or "Looking" in response.body
    running.stub.wait_for("chat.postMessage", count=12, timeout=60)
    running.stub.wait_for("response/UASKER", count=1, timeout=60)
