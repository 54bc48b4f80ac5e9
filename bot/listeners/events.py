"""Event listeners: @mentions in channels, direct messages, and questions in channels in auto
mode, answered in the asker's thread."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import answer_and_log, failed, question_from
from bot.blocks import answer_blocks, answer_fallback, usage_hint
from bot.listeners import curation
from bot.listeners.binding import bind
from bot.listeners.prompts import CHECK_PROMPT, PASTE_IT, STATUS, loading_messages
from bot.services import Services
from bot.slack_errors import UNFIXABLE_SLACK_ERRORS, slack_error
from bot.store.health import DATABASE_DOWN
from bot.text import is_question, slack_to_plain

log = logging.getLogger(__name__)

# Message subtypes that are a person saying something new; edits, joins and bot posts are not.
ANSWERED_SUBTYPES = {None, "thread_broadcast", "file_share"}


def event_id_of(body: dict[str, Any]) -> str:
    event = body["event"]
    return body.get("event_id") or f"{event['channel']}:{event['ts']}"


def request_of(event: dict[str, Any], surface: str) -> dict[str, Any]:
    """What answering an event needs, kept with its claim so another process can answer it."""
    return {
        "channel": event["channel"],
        # Answer inside the thread the question was asked in, or start one under it.
        "thread_ts": event.get("thread_ts") or event["ts"],
        "user": event.get("user"),
        "text": event.get("text"),
        "surface": surface,
        "ts": event["ts"],  # the question itself: where the 👀 goes while it is answered
    }


def reply(
    services: Services, client: WebClient, event_id: str, request: dict[str, Any]
) -> tuple[bool, str | None]:
    """Answer once (Slack redelivers events it thinks failed, possibly to another replica):
    (whether this delivery took it on, the answer's ts or None when nothing was posted)."""
    try:
        claimed = services.events.claim(event_id, request)
    except DATABASE_DOWN:
        # Slack already has its 200 and will not redeliver: answering without the claim
        # (from the index in memory) risks a double answer, not answering loses the question.
        log.warning("database unavailable; answering event_id=%s without a claim", event_id)
        services.metrics.errors.labels("database").inc()
        claimed = True
    if not claimed:
        log.info("event already handled event_id=%s", event_id)
        return False, None
    posted_ts, answer_id = post_answer(services, client, event_id, request)
    try:
        services.events.finish(event_id, posted_ts, answer_id)
    except DATABASE_DOWN:
        # Kept in memory and written with the next write that succeeds.
        services.metrics.errors.labels("database").inc()
    return True, posted_ts


def post_answer(
    services: Services, client: WebClient, event_id: str, request: dict[str, Any]
) -> tuple[str | None, int | None]:
    """Answer in the request's thread: the posted message's ts (None if nothing was posted)
    and the answer's record id."""
    with looking(client, request):
        return _post_answer(services, client, event_id, request)


def _post_answer(
    services: Services, client: WebClient, event_id: str, request: dict[str, Any]
) -> tuple[str | None, int | None]:
    channel, thread_ts, surface = request["channel"], request["thread_ts"], request["surface"]
    question = question_from(request.get("text"))
    answer_id = None
    try:
        if not question or question == CHECK_PROMPT:
            # The "check a rumour" prompt asks for the rumour rather than search its words.
            hint = PASTE_IT if question else usage_hint()
            response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=hint)
        else:
            answer, answer_id = answer_and_log(
                services,
                question,
                surface=surface,
                request_id=event_id,
                user_id=request.get("user"),
                channel_id=channel,
                thread_ts=thread_ts,
                shown=request.get("shown"),
            )
            response = client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=answer_fallback(answer),
                blocks=answer_blocks(answer, answer_id),
                unfurl_links=False,
                unfurl_media=False,
            )
            # Quotes whose English does not exist yet: edited in once it does.
            services.english_later.follow(client, answer, answer_id, channel, response.get("ts"))
        return response.get("ts"), answer_id
    except SlackApiError as exc:
        # Not retried: the client already retried 429s, dropped connections and 5xx.
        error = slack_error(exc)
        log.error("Slack refused the answer event_id=%s error=%s", event_id, error)
        services.metrics.errors.labels("slack_api").inc()
        if error not in UNFIXABLE_SLACK_ERRORS:
            return _apologise(client, channel, thread_ts, failed(services, surface, exc)), None
    except Exception as exc:
        text = failed(services, surface, exc, context=f"event_id={event_id}")
        return _apologise(client, channel, thread_ts, text), None
    return None, None


@contextmanager
def looking(client: WebClient, request: dict[str, Any]) -> Iterator[None]:
    """While a question is answered: in a DM, Slack's status under it (cleared by the reply);
    in a channel, 👀 on it, removed once the answer (or the apology) is posted. Best effort:
    without `assistant:write` or `reactions:write` the answer still comes."""
    channel, ts = request["channel"], request.get("ts")
    if channel.startswith("D"):
        _show_status(client, channel, request["thread_ts"], request.get("text") or "")
        yield
        return
    if ts is None:
        yield
        return
    reacted = _react(client.reactions_add, channel, ts)
    try:
        yield
    finally:
        if reacted:
            _react(client.reactions_remove, channel, ts)


def _show_status(client: WebClient, channel: str, thread_ts: str, question: str) -> None:
    try:
        client.assistant_threads_setStatus(
            channel_id=channel,
            thread_ts=thread_ts,
            status=STATUS,
            loading_messages=loading_messages(question),
        )
    except SlackApiError as exc:
        log.debug("no status under %s: %s", thread_ts, slack_error(exc))


def _react(call: Any, channel: str, ts: str) -> bool:
    try:
        call(channel=channel, timestamp=ts, name="eyes")
        return True
    except SlackApiError as exc:
        log.debug("reaction on %s not changed: %s", ts, slack_error(exc))
        return False


def recover(services: Services, client: WebClient) -> int:
    """Answer the questions a dead process took on but never answered (Slack had its 200, so
    nobody else will). Each is claimed again first, so two replicas recover it once."""
    try:
        abandoned = services.events.abandoned()
    except DATABASE_DOWN:
        return 0
    for event_id, request in abandoned:
        log.warning("answering event_id=%s that a stopped process had taken on", event_id)
        reply(services, client, event_id, request)
    return len(abandoned)


def asks_unprompted(services: Services, event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A channel message rumorbot answers without a mention: the channel is in auto mode, the
    message asks something, and it starts a thread or is in one rumorbot answered in."""
    text, channel = event.get("text") or "", event.get("channel")
    if not channel or (bot_user_id and f"<@{bot_user_id}>" in text):
        return False  # a mention arrives as app_mention too: answered there
    if not is_question(slack_to_plain(text)):
        return False
    try:
        if services.modes.mode(channel) != "auto":
            return False
        thread = event.get("thread_ts")
        return (
            thread is None
            or thread == event.get("ts")
            or bool(services.records.thread_questions(channel, thread, limit=1))
        )
    except DATABASE_DOWN:
        return False  # unsure of the mode: stay quiet rather than answer unasked


def _apologise(client: WebClient, channel: str, thread_ts: str, text: str) -> str | None:
    try:
        return client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text).get("ts")
    except SlackApiError as exc:
        log.error("could not post the apology either: %s", slack_error(exc))
        return None


def ack_at_once() -> None:
    """Events are acked by Bolt as soon as this returns; the answer comes after."""


def on_mention(
    services: Services, body: dict[str, Any], event: dict[str, Any], client: WebClient
) -> None:
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return  # another bot mentioning us: answering it could start a loop
    reply(services, client, event_id_of(body), request_of(event, "mention"))


def on_message(
    services: Services,
    body: dict[str, Any],
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    if event.get("bot_id") or event.get("subtype") not in ANSWERED_SUBTYPES:
        return  # bots (ourselves included), edits, joins
    file = curation.shared_file(event)
    if event.get("channel_type") == "im" and file and services.settings.is_admin(event.get("user")):
        # An admin's .txt/.md/.html adds a source; a screenshot with a question is a question.
        curation.on_file_shared(services, event, client, file)  # an admin adding a source
    elif event.get("channel_type") == "im":
        reply(services, client, event_id_of(body), request_of(event, "dm"))
    elif asks_unprompted(services, event, context.bot_user_id):
        reply(services, client, event_id_of(body), request_of(event, "auto"))


def on_other_event() -> None:
    """Any other event (member_joined_channel, reaction_added …): acked with 200, or Slack
    retries it and may turn the subscription off."""


def register(app: App, services: Services) -> None:
    # Lazy listeners: the ack never waits for a worker of the pool that answers.
    app.event("app_mention")(ack=ack_at_once, lazy=[bind(on_mention, services)])
    app.event("message")(ack=ack_at_once, lazy=[bind(on_message, services)])
    # Registered after every other event listener, so it only takes what none handles.
    app.event(re.compile(".*"))(on_other_event)
