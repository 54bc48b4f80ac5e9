"""A local stand-in for Slack's Web API that records every call, as bolt-python's own tests do
(tests/mock_web_api_server): the app under test talks real HTTP to it."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

DEFAULTS: dict[str, dict[str, Any]] = {
    "auth.test": {
        "ok": True,
        "url": "https://t.slack.com/",
        "team": "T",
        "user": "rumorbot",
        "team_id": "T1",
        "user_id": "UBOT",
        "bot_id": "BBOT",
    },
    "chat.postMessage": {"ok": True, "channel": "C1", "ts": "1700000000.000100"},
    "files.completeUploadExternal": {"ok": True, "files": [{"id": "F1", "title": "t"}]},
}


class SlackStub:
    def __init__(self) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.headers: dict[str, list[dict[str, str]]] = defaultdict(list)
        # path -> queued (status, headers, body) to answer before falling back to DEFAULTS
        self.scripted: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = defaultdict(
            list
        )
        self.extra: dict[str, dict[str, Any]] = {}
        # path -> released when set: calls to it hang, then close unanswered and unrecorded
        # (Slack never got them), and are counted in `stalled`.
        self.stalls: dict[str, threading.Event] = {}
        self.stalled: dict[str, int] = defaultdict(int)
        self.uploads: list[bytes] = []  # what was sent to the upload URLs files.* hand out
        # path -> bytes served to GET (a shared file's url_private_download), and who asked
        self.files: dict[str, bytes] = {}
        self.file_requests: list[dict[str, str]] = []
        self._cond = threading.Condition()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                data = stub.files.get(self.path)
                stub.file_requests.append(dict(self.headers))
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.path.startswith("/upload/"):
                    with stub._cond:
                        stub.uploads.append(self.rfile.read(length))
                        stub._cond.notify_all()
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    payload = json.loads(raw or "{}")
                else:
                    payload = {k: v[0] for k, v in parse_qs(raw).items()}
                path = self.path.split("?")[0].strip("/").removeprefix("api/")
                if path in stub.stalls:
                    with stub._cond:
                        stub.stalled[path] += 1
                        stub._cond.notify_all()
                    stub.stalls[path].wait()
                    self.close_connection = True
                    return
                status, headers, body = stub._response(path)
                with stub._cond:
                    stub.calls[path].append(payload)
                    stub.headers[path].append(dict(self.headers))
                    stub._cond.notify_all()
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _response(self, path: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._cond:
            if self.scripted[path]:
                return self.scripted[path].pop(0)
        if path in self.extra:
            return 200, {}, self.extra[path]
        if path.startswith("response/"):
            return 200, {}, {"ok": True}
        if path == "files.getUploadURLExternal":
            upload = {"upload_url": f"{self.url}/upload/F1", "file_id": "F1"}
            return 200, {}, {"ok": True, **upload}
        return 200, {}, DEFAULTS.get(path, {"ok": True})

    def start(self) -> SlackStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, path: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The calls to `path` once there are at least `count` of them (or fail)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.calls[path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} call(s) to {path}, got {len(self.calls[path])}:"
                        f" {dict((k, len(v)) for k, v in self.calls.items())}"
                    )
                self._cond.wait(left)
            return list(self.calls[path])

    def stall(self, path: str) -> None:
        self.stalls[path] = threading.Event()

    def unstall(self, path: str) -> None:
        self.stalls.pop(path).set()

    def wait_until_stalled(self, path: str, timeout: float = 20.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.stalled[path] > 0, timeout):
                raise AssertionError(f"no call to {path} arrived")

    def count(self, path: str) -> int:
        with self._cond:
            return len(self.calls[path])
