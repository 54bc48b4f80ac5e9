"""The app's tabs as a user opens them: the Home tab, published; the Messages tab (where agent
apps are talked to), offered the suggested prompts."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import home_blocks
from bot.listeners.binding import bind
from bot.listeners.prompts import PROMPTS, PROMPTS_TITLE
from bot.services import Services
from bot.slack_errors import slack_error

log = logging.getLogger(__name__)

SHOWN_QUESTIONS = 5
MAX_CHANNEL_PAGES = 10  # 2,000 channels is plenty for a home tab


def user_channels(client: WebClient, user_id: str) -> list[str] | None:
    """The channels the user is in that the bot can see, or None when Slack will not say
    (the workspace did not grant channels:read / groups:read)."""
    channels: list[str] = []
    cursor = None
    try:
        for _ in range(MAX_CHANNEL_PAGES):
            page = client.users_conversations(
                user=user_id,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            channels += [c["id"] for c in page.get("channels") or []]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as exc:
        log.warning("cannot list a user's channels for App Home: %s", slack_error(exc))
        return None
    return channels


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    channels = user_channels(client, user_id)
    followed: dict[str, list[str]] | None = None
    if channels is not None:
        followed = {}
        for f in services.subscriptions.following(channels):
            followed.setdefault(f.channel_id, []).append(f.topic)
    blocks = home_blocks(
        services.store.current_version(),
        services.store.sources(),
        followed,
        services.records.recent_questions(user_id, SHOWN_QUESTIONS),
    )
    client.views_publish(user_id=user_id, view={"type": "home", "blocks": blocks})


def ack_at_once() -> None:
    """Events are acked by Bolt as soon as this returns; the work comes after."""


def offer_prompts(client: WebClient, channel: str) -> None:
    """The Messages tab opened: its suggested prompts. An agent app sets them on the DM itself
    (with a `thread_ts` the call silently does nothing)."""
    try:
        client.assistant_threads_setSuggestedPrompts(
            channel_id=channel, prompts=PROMPTS, title=PROMPTS_TITLE
        )
    except SlackApiError as exc:
        # An app installed from the old manifest (assistant_view) offers them per thread.
        log.debug("no suggested prompts in %s: %s", channel, slack_error(exc))


def on_home_opened(services: Services, event: dict[str, Any], client: WebClient) -> None:
    if event.get("tab") == "messages" and event.get("channel"):
        offer_prompts(client, event["channel"])
        return
    if event.get("tab") != "home":
        return
    try:
        publish_home(services, client, event["user"])
    except Exception:
        log.exception("could not publish App Home for a user")
        services.metrics.errors.labels("home").inc()


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(ack=ack_at_once, lazy=[bind(on_home_opened, services)])
