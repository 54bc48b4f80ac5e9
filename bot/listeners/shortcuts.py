"""Message shortcuts: "Check this rumour" on any message, answered in that message's thread
(privately in a DM), once however often it is clicked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.answering import answer_and_log, failed, question_from
from bot.blocks import answer_blocks, answer_fallback
from bot.listeners.binding import ack_at_once, bind
from bot.listeners.events import reply
from bot.services import Services
from bot.text import truncate
from retrieval.answers.claims import strongest_claim
from retrieval.answers.payload import Shown

log = logging.getLogger(__name__)

CALLBACK_ID = "check_rumour"
CHECKED_CHARS = 200
NO_TEXT = "I can only check text; paste the claim (or its key sentence) as a message."
ALREADY = "I already checked this message: the answer is in its thread."
NOT_POSTED = "I couldn't post in this channel's thread; invite @rumorbot to the channel first."


def what_to_check(services: Services, text: str) -> tuple[str, Shown]:
    """The claim to search, and what the answer shows of it: the message (cut to 200
    characters) and, for a long one, the sentence that was checked."""
    claim, picked = strongest_claim(text, services.answers.ask)
    shown: Shown = {
        "checked": truncate(text, CHECKED_CHARS),
        "checked_sentence": claim if picked else None,
    }
    return claim, shown


def check(services: Services, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    text = question_from(message.get("text"))
    if not text or not channel or not message.get("ts"):
        respond(text=NO_TEXT, response_type="ephemeral")
        return
    try:
        claim, shown = what_to_check(services, text)
        if channel.startswith("D"):
            # A DM: the answer is for the one who asked, not posted into the conversation.
            answer, answer_id = answer_and_log(
                services,
                claim,
                surface="shortcut",
                request_id=f"check:{channel}:{message['ts']}",
                user_id=user,
                channel_id=None,
                shown=shown,
            )
            respond(
                blocks=answer_blocks(answer, answer_id),
                text=answer_fallback(answer),
                response_type="ephemeral",
            )
            return
    except Exception as exc:
        respond(text=failed(services, "shortcut", exc), response_type="ephemeral")
        return
    request = {
        "channel": channel,
        "thread_ts": message.get("thread_ts") or message["ts"],
        "user": user,
        "text": claim,
        "surface": "shortcut",
        "shown": shown,
        "ts": message["ts"],
    }
    # Keyed by the message: a second click (or a click by someone else) posts nothing more.
    taken, posted_ts = reply(services, client, f"check:{channel}:{message['ts']}", request)
    if not taken:
        respond(text=ALREADY, response_type="ephemeral")
    elif posted_ts is None:
        respond(text=NOT_POSTED, response_type="ephemeral")


def register(app: App, services: Services) -> None:
    app.shortcut(CALLBACK_ID)(ack=ack_at_once, lazy=[bind(check, services)])
