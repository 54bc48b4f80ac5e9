"""Event listeners: @mentions in channels and direct messages, answered in the asker's thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks import answer_blocks, answer_fallback, usage_hint
from bot.listeners.answering import answer_and_log, failed, question_from
from bot.services import Services

log = logging.getLogger(__name__)

# Message subtypes that are a person saying something new; edits, joins and bot posts are not.
ANSWERED_SUBTYPES = {None, "thread_broadcast", "file_share"}


def _thread_ts(event: dict[str, Any]) -> str:
    """Answer inside the thread the question was asked in, or start one under it."""
    return event.get("thread_ts") or event["ts"]


def reply(services: Services, client: WebClient, body: dict[str, Any], surface: str) -> None:
    event = body["event"]
    event_id = body.get("event_id") or f"{event['channel']}:{event['ts']}"
    # Slack redelivers events it thinks failed, possibly to another replica: answer once.
    if not services.records.claim_event(event_id):
        log.info("event already handled event_id=%s", event_id)
        return
    channel, thread_ts = event["channel"], _thread_ts(event)
    question = question_from(event.get("text"))
    try:
        if not question:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=usage_hint())
        else:
            answer, answer_id = answer_and_log(
                services,
                question,
                surface=surface,
                request_id=event_id,
                user_id=event.get("user"),
                channel_id=channel,
            )
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=answer_fallback(answer),
                blocks=answer_blocks(answer, answer_id),
                unfurl_links=False,
                unfurl_media=False,
            )
    except Exception as exc:
        text = failed(services, surface, exc, context=f"event_id={event_id}")
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    services.records.finish_event(event_id)


def register(app: App, services: Services) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], client: WebClient) -> None:
        reply(services, client, body, surface="mention")

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return  # channel chatter is not for us; mentions arrive as app_mention
        if event.get("subtype") not in ANSWERED_SUBTYPES:
            return
        reply(services, client, body, surface="dm")
