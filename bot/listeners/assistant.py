"""Slack's legacy AI-app container (`assistant_view`, bolt-python's `Assistant`), kept for apps
installed from the old manifest: suggested prompts when a thread starts, the thread titled by
its question. Answers (and the status while answering) go through the same claim-once path as
every DM; the agent Messages tab that replaces this container is in `home` and `events`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Assistant, Say, SetSuggestedPrompts, SetTitle
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import question_from
from bot.listeners.binding import bind
from bot.listeners.events import event_id_of, reply, request_of
from bot.listeners.prompts import GREETING, PROMPTS, PROMPTS_TITLE
from bot.services import Services
from bot.slack_errors import slack_error
from bot.text import truncate

log = logging.getLogger(__name__)

TITLE_CHARS = 80


def ack_at_once() -> None:
    """Acked by Bolt as soon as this returns; the work follows in the pool."""


def start(say: Say, set_suggested_prompts: SetSuggestedPrompts) -> None:
    say(GREETING)
    set_suggested_prompts(prompts=PROMPTS, title=PROMPTS_TITLE)


def answer(
    services: Services,
    body: dict[str, Any],
    event: dict[str, Any],
    client: WebClient,
    set_title: SetTitle,
) -> None:
    question = question_from(event.get("text"))
    try:
        set_title(truncate(question, TITLE_CHARS) or "A question")
    except SlackApiError as exc:
        log.debug("assistant thread not titled: %s", slack_error(exc))
    reply(services, client, event_id_of(body), request_of(event, "assistant"))


def build(services: Services) -> Assistant:
    assistant = Assistant()
    assistant.thread_started(lazy=[start])(ack_at_once)
    assistant.user_message(lazy=[bind(answer, services)])(ack_at_once)
    return assistant
