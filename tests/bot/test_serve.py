"""`rumorbot serve` as a process: start-up on an empty data directory, HTTP and Socket Mode,
graceful shutdown, and no secret in its logs."""

from __future__ import annotations

import base64
import hashlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.conftest import SECRET, mention
from tests.bot.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-serve-test-secret-token"
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
            raise AssertionError(f"serve exited early: {proc.communicate()[1][-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return {"statuses": statuses, **json.loads(r.read())}
        except urllib.error.HTTPError as err:
            statuses.append(err.code)
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("never became healthy")


@pytest.fixture
def serve_env(process_env: dict[str, str], stub: SlackStub) -> dict[str, str]:
    return {
        **process_env,
        "RUMORBOT_LOG_LEVEL": "DEBUG",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": stub.url + "/api/",
    }


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    return out + err


def test_serve_over_http(serve_env: dict[str, str], stub: SlackStub) -> None:
    from tests.bot.conftest import RunningApp

    port = free_port()
    proc = start(serve_env, "--port", str(port))
    try:
        health = wait_healthy(port, proc)
        assert health["corpus_version"] == 1  # the empty data directory was ingested first

        class Remote(RunningApp):  # reuse the request signing against the real process
            def __init__(self) -> None:
                self.url, self.stub = f"http://127.0.0.1:{port}", stub

        assert (
            Remote().event(mention("What is Orion?", ts="77.1"), event_id="EvServe").status == 200
        )
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
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "SLACK_SIGNING_SECRET" in err
