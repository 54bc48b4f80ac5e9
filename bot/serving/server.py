"""`rumorbot serve`: the Bolt app over HTTP (waitress) or Socket Mode, plus /healthz and /metrics.

Start-up order: the HTTP port opens at once (health says 503), the engine loads in the
background (ingesting an empty database, building a stale index), then health says 200.
A poller swaps in corpus versions published by other replicas; another answers questions a
killed process had taken on. SIGTERM stops taking new requests and lets in-flight answers
finish.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from waitress.server import create_server

from bot.app import create_app
from bot.listeners.events import recover
from bot.services import Services
from bot.serving import gate

log = logging.getLogger(__name__)

REFRESH_SECONDS = 3.0
# How often a replica looks for questions a stopped process took on and never answered.
RECOVER_SECONDS = 20.0
MAX_RETRY_SECONDS = 60.0
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Health:
    def __init__(self, services: Services):
        self.services = services
        self.error: str | None = None

    def check(self) -> tuple[bool, dict[str, Any]]:
        if self.error:
            return False, {"status": "failed", "error": self.error}
        if not self.services.answers.ready:
            return False, {"status": "starting"}
        answers = self.services.answers
        payload: dict[str, Any] = {"status": "ok", "corpus_version": answers.snapshot.version}
        # Questions are answered from the index in memory whatever the database does: a
        # database fault degrades the replica (answers go unrecorded), it does not stop it.
        try:
            with self.services.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            payload.update(status="degraded", database=f"unreachable ({type(exc).__name__})")
        else:
            if problem := self.services.write_health.problem:
                payload.update(status="degraded", database=f"writes failing: {problem}")
        if answers.build_failure:
            # Serving the last intact index: answers come, but a reload cannot take effect.
            payload.update(status="degraded", index=f"builds failing: {answers.build_failure}")
        english = answers.english
        if english is not None:
            payload["english"] = {
                "rendered": len(english.rows),
                "passages": len(answers.snapshot.passages),
                "worker": self.services.background_translation.state,
            }
        return True, payload


STATUS_LINES = {400: "400 Bad Request", 401: "401 Unauthorized", 413: "413 Content Too Large"}


def make_wsgi(slack: SlackRequestHandler | None, services: Services, health: Health) -> WSGIApp:
    secret = services.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    def respond(start_response, status: str, body: bytes, content_type: str) -> list[bytes]:
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/slack/events" and method == "POST" and slack is not None:
            rejection = gate.check(environ, verifier)
            if rejection is not None:
                gate.log_rejection(rejection, environ)
                services.metrics.errors.labels("rejected").inc()
                body = json.dumps({"error": rejection.reason}).encode()
                return respond(
                    start_response, STATUS_LINES[rejection.status], body, "application/json"
                )
            return slack(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok, payload = health.check()
            body = json.dumps(payload).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            return respond(start_response, status, body, "application/json")
        if path == "/metrics" and method == "GET":
            return respond(
                start_response, "200 OK", services.metrics.render(), "text/plain; version=0.0.4"
            )
        return respond(start_response, "404 Not Found", b"not found\n", "text/plain")

    return wsgi


class RumorServer:
    def __init__(self, services: Services, port: int, socket_mode: bool, host: str = "0.0.0.0"):
        self.services = services
        self.port = port
        self.host = host
        self.socket_mode = socket_mode
        self.health = Health(services)
        self.stopping = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="listener")

    def _load(self) -> None:
        # What fails a start often passes (the database restarting, a corpus volume not yet
        # mounted): retry with backoff and show the error on /healthz meanwhile.
        delay = 1.0
        while not self.stopping.is_set():
            try:
                self.services.answers.start(triggered_by="serve")
            except Exception as exc:
                log.exception("could not load the corpus and index; retrying in %.0f s", delay)
                self.health.error = f"{type(exc).__name__}: {exc}"[:300]
                self.stopping.wait(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            self.health.error = None
            log.info("ready corpus_version=%s", self.services.answers.snapshot.version)
            self.services.background_translation.request()
            return

    def _poll_versions(self) -> None:
        while not self.stopping.wait(REFRESH_SECONDS):
            if not self.services.answers.ready:
                continue
            try:
                if self.services.answers.refresh():
                    log.info(
                        "now serving corpus version %s", self.services.answers.snapshot.version
                    )
                    self.services.background_translation.request()
                # Renderings stored by this process's worker or another replica's.
                self.services.answers.refresh_english()
            except Exception:
                log.warning("could not refresh the corpus version", exc_info=True)

    def _recover(self, client: WebClient) -> None:
        # First right after loading (this replica's own earlier run, restarted mid-answer),
        # then for replicas that died and were not restarted. The same sweep sends digests and
        # corrections of corpus changes (a reload elsewhere, an ingest from the CLI) and
        # retries failed ones.
        while not self.services.answers.ready:
            if self.stopping.wait(0.5):
                return
        while True:
            for name, work in (("recover", recover), ("digests", self._deliver_digests)):
                try:
                    work(self.services, client)
                except Exception:
                    log.warning("%s failed this round", name, exc_info=True)
            # Its own thread: a change that alters hundreds of answers takes minutes to send.
            self.services.corrections.request(client)
            if self.stopping.wait(RECOVER_SECONDS):
                return

    @staticmethod
    def _deliver_digests(services: Services, client: WebClient) -> None:
        services.digests.deliver(client)

    def run(self) -> None:
        settings = self.services.settings
        app = create_app(
            settings, self.services, socket_mode=self.socket_mode, executor=self.executor
        )
        threading.Thread(target=self._load, name="load", daemon=True).start()
        threading.Thread(target=self._poll_versions, name="refresh", daemon=True).start()
        threading.Thread(
            target=self._recover, args=(app.client,), name="recover", daemon=True
        ).start()
        socket_handler = None
        if self.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            assert settings.slack_app_token is not None
            socket_handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
            socket_handler.connect()
            log.info("connected over Socket Mode")
        slack = None if self.socket_mode else SlackRequestHandler(app)
        server = create_server(
            make_wsgi(slack, self.services, self.health), host=self.host, port=self.port, threads=8
        )

        def stop(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing in-flight answers, then stopping", signum)
            self.stopping.set()
            server.close()

        # `kill -USR1 <pid>` prints every thread's stack: how to see what a stuck replica does.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info(
            "listening on http://%s:%s (POST /slack/events, GET /healthz)", self.host, self.port
        )
        try:
            server.run()
        except (OSError, ValueError):
            if not self.stopping.is_set():
                raise
        finally:
            self.stopping.set()
            if socket_handler is not None:
                socket_handler.close()
            started = time.perf_counter()
            translation = self.services.background_translation
            translation.stop()
            if translation.alive:
                log.warning("the translator did not stop in time: %s", translation.state)
            self.services.corrections.stop()
            self.executor.shutdown(wait=True)
            log.info("stopped after %.1f s of draining", time.perf_counter() - started)
