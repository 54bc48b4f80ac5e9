"""`rumorbot serve` as a process: start-up on an empty data directory, HTTP and Socket Mode,
graceful shutdown, and no secret in its logs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.conftest import BOT_TOKEN, SECRET, SlackClient, mention
from tests.bot.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-serve-test-secret-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    statuses = []
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {output(proc)[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return {"statuses": statuses, **json.loads(r.read())}
        except urllib.error.HTTPError as err:
            statuses.append(err.code)
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("never became healthy")


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    # Logs go to a file, not a pipe: an unread pipe fills up and blocks the server's logging.
    fd, path = tempfile.mkstemp(prefix="rumorbot-serve-", suffix=".log")
    with os.fdopen(fd, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    proc.log_path = path  # type: ignore[attr-defined]
    return proc


def output(proc: subprocess.Popen) -> str:
    return Path(proc.log_path).read_text()  # type: ignore[attr-defined]


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    logs = output(proc)
    assert proc.returncode == 0, logs[-2000:]
    return logs


def test_serve_over_http(serve_env: dict[str, str], stub: SlackStub) -> None:
    port = free_port()
    proc = start(serve_env, "--port", str(port))
    try:
        health = wait_healthy(port, proc)
        assert health["corpus_version"] == 1  # the empty data directory was ingested first
        slack = SlackClient(f"http://127.0.0.1:{port}", stub)
        assert slack.event(mention("What is Orion?", ts="77.1"), event_id="EvServe").status == 200
        (call,) = stub.wait_for("chat.postMessage")
        assert call["thread_ts"] == "77.1"
        headers = stub.headers["chat.postMessage"][0]
        assert headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    finally:
        logs = stop(proc)
    assert BOT_TOKEN not in logs and SECRET not in logs
    assert "finishing in-flight answers" in logs


class TinyWebSocketServer:
    """Just enough of RFC 6455 for a Socket Mode client to connect and get its hello."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"ws://127.0.0.1:{self.sock.getsockname()[1]}/link"
        self.requests: list[str] = []
        self.connected = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            request = conn.recv(65536).decode(errors="replace")
            self.requests.append(request)
            key = next(
                line.split(":", 1)[1].strip()
                for line in request.split("\r\n")
                if line.lower().startswith("sec-websocket-key")
            )
            accept = base64.b64encode(
                hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
            ).decode()
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            hello = json.dumps({"type": "hello", "num_connections": 1}).encode()
            conn.sendall(bytes([0x81, len(hello)]) + hello)
            self.connected.set()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def websocket_server() -> Iterator[TinyWebSocketServer]:
    server = TinyWebSocketServer()
    yield server
    server.close()


def test_serve_in_socket_mode(serve_env, stub: SlackStub, websocket_server) -> None:
    stub.extra["apps.connections.open"] = {"ok": True, "url": websocket_server.url}
    env = {**serve_env, "SLACK_APP_TOKEN": APP_TOKEN}
    env.pop("SLACK_SIGNING_SECRET")  # Socket Mode needs no signing secret
    port = free_port()
    proc = start(env, "--port", str(port))
    try:
        stub.wait_for("apps.connections.open")
        assert stub.headers["apps.connections.open"][0]["Authorization"] == f"Bearer {APP_TOKEN}"
        assert websocket_server.connected.wait(20)
        assert websocket_server.requests[0].startswith("GET /link")
        assert wait_healthy(port, proc)["status"] == "ok"
    finally:
        logs = stop(proc)
    assert APP_TOKEN not in logs and BOT_TOKEN not in logs


def test_serve_refuses_to_start_without_credentials(serve_env) -> None:
    env = {k: v for k, v in serve_env.items() if k != "SLACK_SIGNING_SECRET"}
    proc = start(env, "--port", str(free_port()))
    proc.wait(timeout=60)
    assert proc.returncode == 2 and "SLACK_SIGNING_SECRET" in output(proc)


def test_a_failed_start_is_retried_until_it_succeeds(serve_env, tmp_path: Path) -> None:
    # The corpus volume is not there yet: /healthz says why, and serve keeps trying.
    corpus = Path(serve_env["RUMORBOT_CORPUS_DIR"])
    late = tmp_path / "corpus-mounted-later"
    port = free_port()
    proc = start({**serve_env, "RUMORBOT_CORPUS_DIR": str(late)}, "--port", str(port))
    try:
        deadline = time.monotonic() + 60
        failure = None
        while failure is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except urllib.error.HTTPError as err:
                body = json.loads(err.read())
                failure = body if body["status"] == "failed" else None
            except OSError:
                pass
            time.sleep(0.2)
        assert failure is not None and "does not exist" in failure["error"]
        shutil.copytree(corpus, late)
        assert wait_healthy(port, proc, timeout=60)["status"] == "ok"
    finally:
        logs = stop(proc)
    assert "retrying in" in logs
