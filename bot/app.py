"""The Bolt app factory: settings and services in, a wired `App` out. No module-level app."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.listeners import register_listeners
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    pass


def configure_client(client: WebClient, settings: Settings) -> None:
    """Where the Web API is, and what is retried. Bolt copies both into the client it gives
    each request. 429s wait for Retry-After; dropped connections and Slack's transient 5xx
    are retried with backoff. All of it happens after the ack, in the listener's worker
    thread, so Slack's 3-second deadline is never at stake."""
    client.base_url = settings.slack_api_base_url.rstrip("/") + "/"
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=3),
    ]


def create_app(
    settings: Settings,
    services: Services,
    socket_mode: bool = False,
    executor: ThreadPoolExecutor | None = None,
) -> App:
    if not socket_mode and settings.slack_signing_secret is None:
        raise ConfigurationError("SLACK_SIGNING_SECRET is not set (or use Socket Mode)")
    if socket_mode and settings.slack_app_token is None:
        raise ConfigurationError("Socket Mode needs SLACK_APP_TOKEN")
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if settings.slack_bot_token is None:
        raise ConfigurationError("SLACK_BOT_TOKEN is not set")
    # The token, not a prebuilt client: given both (SLACK_BOT_TOKEN is read from the
    # environment too), Bolt warns at every start that the token is unused. The token is
    # checked (auth.test) at the first request, once the client points at the right API.
    app = App(
        token=settings.slack_bot_token.get_secret_value(),
        token_verification_enabled=False,
        signing_secret=secret,
        # Every listener is an ack function (run in the request's thread, so Slack gets its
        # answer within 3 seconds however busy the pool is) plus lazy work in the pool.
        process_before_response=True,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
        # The server drains this pool on SIGTERM so in-flight answers are still posted.
        listener_executor=executor or ThreadPoolExecutor(max_workers=8),
    )
    configure_client(app.client, settings)
    register_listeners(app, services)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        # Last line of defence: listeners handle their own failures; this logs the rest.
        services.metrics.errors.labels("unhandled").inc()
        body = body or {}
        log.error(
            "unhandled error in a listener type=%s event_id=%s",
            body.get("type"),
            body.get("event_id"),
            exc_info=error,
        )
        return None

    return app
