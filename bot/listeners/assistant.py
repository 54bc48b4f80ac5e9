"""Slack's AI-app surface (the assistant container, bolt-python's `Assistant`): suggested
prompts when a thread starts, a status while answering, the thread titled by its question.
Answers go through the same claim-once path as every other surface."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Assistant, Say, SetStatus, SetSuggestedPrompts, SetTitle
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import question_from
from bot.listeners.binding import bind
from bot.listeners.events import event_id_of, reply, request_of
from bot.services import Services
from bot.slack_errors import slack_error
from bot.text import truncate

log = logging.getLogger(__name__)

CHECK_PROMPT = "Check a rumour: I'll paste it next"
PROMPTS = [
    {"title": "What's new about GPT-5?", "message": "What's the latest on GPT-5?"},
    {"title": "Why was Opus 3.5 not released?", "message": "Why was Opus 3.5 not released?"},
    {"title": "Check a rumour", "message": CHECK_PROMPT},
]
GREETING = (
    "Ask me about GPT-5 rumours, in English or Chinese: I answer by quoting the sources,"
    " with a label that says how well they support it. Paste a rumour and I check it."
)
PASTE_IT = "Paste the rumour (a tweet, a headline, a claim) as your next message and I'll check it."
STATUS = "Looking through the sources…"
TITLE_CHARS = 80


def ack_at_once() -> None:
    """Acked by Bolt as soon as this returns; the work follows in the pool."""


def start(say: Say, set_suggested_prompts: SetSuggestedPrompts) -> None:
    say(GREETING)
    set_suggested_prompts(prompts=PROMPTS, title="Try asking")


def answer(
    services: Services,
    body: dict[str, Any],
    event: dict[str, Any],
    client: WebClient,
    say: Say,
    set_status: SetStatus,
    set_title: SetTitle,
) -> None:
    question = question_from(event.get("text"))
    if question == CHECK_PROMPT:
        say(PASTE_IT)
        return
    try:
        set_title(truncate(question, TITLE_CHARS) or "A question")
        set_status(STATUS)  # cleared by Slack when the answer is posted
    except SlackApiError as exc:
        log.debug("assistant thread not titled: %s", slack_error(exc))
    reply(services, client, event_id_of(body), request_of(event, "assistant"))


def build(services: Services) -> Assistant:
    assistant = Assistant()
    assistant.thread_started(lazy=[start])(ack_at_once)
    assistant.user_message(lazy=[bind(answer, services)])(ack_at_once)
    return assistant
