"""A real rumorbot HTTP server (waitress + Bolt) wired to a stub Slack Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.app import create_app
from bot.services import Services, build_services
from bot.serving.server import Health, make_wsgi
from bot.settings import Settings
from tests.bot.slack_stub import SlackStub

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-serve-test-secret-token"
ADMIN = "UADMIN"


def make_settings(
    tmp_path: Path, corpus_dir: Path, stub_url: str, db_url: str | None = None
) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        corpus_dir=corpus_dir,
        admin_user_ids=[ADMIN],
        embedder="hashing",
        translator="fake",
        database_url=db_url,
        slack_bot_token=SecretStr("xoxb-test-token"),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_base_url=stub_url + "/api/",
    )


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class SlackClient:
    """Requests to a rumorbot at `url`, signed as Slack signs them."""

    def __init__(self, url: str, stub: SlackStub):
        self.url, self.stub = url, stub

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        basestring = f"v0:{ts}:{body}".encode()
        signature = "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.url + "/slack/events",
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode())

    def event(self, event: dict[str, Any], event_id: str = "Ev1", **kwargs: Any) -> Response:
        envelope = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        return self.post(json.dumps(envelope), "application/json", **kwargs)

    def command(
        self, text: str, user_id: str = "UASKER", channel_id: str = "C1", **kwargs: Any
    ) -> Response:
        form = {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": channel_id,
            "user_id": user_id,
            "command": "/rumor",
            "text": text,
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "response_url": f"{self.stub.url}/response/{user_id}",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs)

    def action(
        self, action_id: str, value: str, user_id: str = "UASKER", kind: str = "button"
    ) -> Response:
        """A click on an answer's button (`kind`: "feedback_buttons" for Slack's own 👍/👎,
        whose `value` is "up:<id>" or "down:<id>")."""
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user_id},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "channel": {"id": "C1"},
            "container": {"type": "message"},
            "response_url": f"{self.stub.url}/response/action-{user_id}",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": f"answer:{value}",
                    "value": value,
                    "type": kind,
                    "action_ts": "1",
                }
            ],
        }
        return self.interactive(payload)

    def shortcut(
        self, message: dict[str, Any], user_id: str = "UASKER", channel_id: str = "C1"
    ) -> Response:
        """A message shortcut ("Check this rumour") on `message`, as Slack posts it."""
        payload = {
            "type": "message_action",
            "callback_id": "check_rumour",
            "team": {"id": "T1"},
            "user": {"id": user_id},
            "channel": {"id": channel_id, "name": "general"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "message_ts": message["ts"],
            "message": {"type": "message", "user": "UPOSTER", **message},
            "response_url": f"{self.stub.url}/response/shortcut-{user_id}",
        }
        return self.interactive(payload)

    def submit(self, view: dict[str, Any], user_id: str = "UASKER") -> Response:
        """A modal submitted (view_submission) with `view`'s callback, metadata and state."""
        payload = {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": user_id},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.4",
            "view": {"id": "V1", "type": "modal", **view},
        }
        return self.interactive(payload)

    def interactive(self, payload: dict[str, Any]) -> Response:
        """An interactivity payload (button, shortcut, modal), posted as Slack posts it."""
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def get(self, path: str) -> Response:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return Response(response.status, response.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode())


class RunningApp(SlackClient):
    """rumorbot's HTTP app served in this process."""

    def __init__(self, services: Services, stub: SlackStub):
        self.services = services
        self.health = Health(services)
        self.app = create_app(services.settings, services)
        self.server = create_server(
            make_wsgi(SlackRequestHandler(self.app), services, self.health),
            host="127.0.0.1",
            port=0,
            threads=4,
        )
        super().__init__(f"http://127.0.0.1:{self.server.effective_port}", stub)
        self.closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:
            # Closing the server from another thread can pull the socket out from under
            # select(); the production server treats this the same way.
            if not self.closing:
                raise

    def close(self) -> None:
        self.closing = True
        self.server.close()
        # As the server stops: a reload's background translation must not outlive the test.
        self.services.background_translation.stop()
        self.app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    server = SlackStub().start()
    yield server
    server.stop()


@pytest.fixture
def services(tmp_path: Path, corpus_dir: Path, stub: SlackStub) -> Services:
    services = build_services(make_settings(tmp_path, corpus_dir, stub.url))
    services.answers.start()
    return services


@pytest.fixture
def running(services: Services, stub: SlackStub) -> Iterator[RunningApp]:
    app = RunningApp(services, stub)
    yield app
    app.close()


def started_replicas(
    tmp_path: Path, corpus_dir: Path, stub_url: str, db_url: str
) -> list[Services]:
    """Two replicas' services on one database and corpus, each with its own data directory."""
    replicas = [
        build_services(make_settings(tmp_path / name, corpus_dir, stub_url, db_url))
        for name in ("a", "b")
    ]
    for replica in replicas:
        replica.answers.start()
    return replicas


def at_once(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """`work` on every item, each in its own thread, all let go together (a race between
    replicas); the results, in the order they finished."""
    start = threading.Barrier(len(items))
    results: list[Any] = []

    def run(item: Any) -> None:
        start.wait()
        results.append(work(item))

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def answer_id_of(blocks: list[dict[str, Any]]) -> str:
    """The answer id a posted answer's feedback buttons carry."""
    (feedback,) = [b for b in blocks if b["type"] == "context_actions"]
    return str(feedback["elements"][0]["positive_button"]["value"]).removeprefix("up:")


def mention(text: str, ts: str = "1700000001.000200", **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "UASKER",
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": "C1",
        "event_ts": ts,
        **extra,
    }


@pytest.fixture
def serve_env(process_env: dict[str, str], stub: SlackStub) -> dict[str, str]:
    return {
        **process_env,
        "RUMORBOT_LOG_LEVEL": "DEBUG",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": stub.url + "/api/",
    }
