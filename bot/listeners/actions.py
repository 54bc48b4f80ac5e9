"""Button actions on answers: 👍 / 👎 feedback (Slack's feedback buttons, and the buttons of
answers posted before them; 👎 asks why, in a modal), sharing a private answer to the channel,
and switching an answer between Chinese only and Chinese with English renderings."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import (
    FEEDBACK_ACTION,
    FEEDBACK_CALLBACK,
    answer_blocks,
    answer_fallback,
    feedback_modal,
)
from bot.listeners.binding import ack_at_once, bind
from bot.services import Services
from bot.slack_errors import slack_error
from bot.store.answers import MAX_COMMENT_CHARS
from bot.store.health import DATABASE_DOWN
from bot.text import clean_text

log = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return ""


def _answer_id(body: dict[str, Any]) -> int | None:
    """The answer a button is on: its value is the answer's id, after "up:"/"down:" on
    feedback buttons."""
    try:
        return int(_value(body).rpartition(":")[2])
    except ValueError:
        return None


def _thumbs_down(body: dict[str, Any]) -> bool:
    return _value(body).startswith("down:")


def _reason(view: dict[str, Any]) -> tuple[str | None, str | None]:
    """The modal's choice and comment, as submitted."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get("reason") or {}).get("reason") or {}).get("selected_option") or {}
    comment = ((values.get("comment") or {}).get("comment") or {}).get("value")
    return chosen.get("value"), clean_text(comment, MAX_COMMENT_CHARS) if comment else None


def vote(
    services: Services, body: dict[str, Any], respond: Respond, value: int, thank: bool = True
) -> None:
    answer_id = _answer_id(body)
    try:
        if answer_id is None:
            raise KeyError("no answer id")
        services.records.vote(answer_id, body["user"]["id"], value)
    except DATABASE_DOWN:
        services.metrics.errors.labels("database").inc()
        respond(
            text="Sorry, I couldn't record that just now; please try again in a minute.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    except KeyError:
        respond(
            text="Sorry, I can't find that answer any more.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    if thank:
        respond(text="Thanks for the feedback!", response_type="ephemeral", replace_original=False)


def on_up(services: Services, body: dict[str, Any], respond: Respond) -> None:
    vote(services, body, respond, +1)


def ask_why(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """👎: the modal opens from the ack itself, while the click's trigger is fresh (it
    lasts 3 seconds); the vote counts whether or not a reason follows."""
    ack()
    _open_reason(body, client)


def ack_feedback(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    ack()
    if _thumbs_down(body):
        _open_reason(body, client)


def on_feedback(services: Services, body: dict[str, Any], respond: Respond) -> None:
    """Slack's feedback buttons: 👍 counts (and clears a reason given before), 👎 counts
    and its modal asks why."""
    down = _thumbs_down(body)
    vote(services, body, respond, -1 if down else +1, thank=not down)


def _open_reason(body: dict[str, Any], client: WebClient) -> None:
    answer_id = _answer_id(body)
    if answer_id is None:
        return
    try:
        client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(answer_id))
    except Exception as exc:
        log.warning("could not open the feedback modal: %s", slack_error(exc) or exc)


def on_down(services: Services, body: dict[str, Any], respond: Respond) -> None:
    vote(services, body, respond, -1, thank=False)


def on_reason(services: Services, body: dict[str, Any]) -> None:
    view = body.get("view") or {}
    reason, comment = _reason(view)
    try:
        answer_id = int(view.get("private_metadata") or "")
        services.records.explain(answer_id, body["user"]["id"], reason or "", comment)
    except DATABASE_DOWN:
        services.metrics.errors.labels("database").inc()
        log.warning("database unavailable; a feedback reason was not recorded")
    except (KeyError, ValueError):
        log.warning("feedback reason for an unknown answer or choice; not recorded")


def switch_language(
    services: Services, body: dict[str, Any], respond: Respond, client: WebClient, english: bool
) -> None:
    answer_id = _answer_id(body)
    answer = services.records.answer(answer_id) if answer_id is not None else None
    if answer is None or answer_id is None:
        respond(text="Sorry, I can't find that answer any more.", replace_original=False)
        return
    # A private /rumor ask answer keeps its Share button.
    container = body.get("container") or {}
    ephemeral = bool(container.get("is_ephemeral"))
    respond(
        text=answer_fallback(answer),
        blocks=answer_blocks(answer, answer_id, shareable=ephemeral, english=english),
        replace_original=True,
    )
    if english and not ephemeral and container.get("channel_id"):
        # English still to come is edited in when it lands, never left "pending".
        services.english_later.follow(
            client, answer, answer_id, container["channel_id"], container.get("message_ts"), english
        )


def on_show_english(
    services: Services, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    switch_language(services, body, respond, client, english=True)


def on_show_chinese(
    services: Services, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    switch_language(services, body, respond, client, english=False)


def on_share(services: Services, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    answer_id = _answer_id(body)
    answer = services.records.answer(answer_id) if answer_id is not None else None
    channel = (body.get("channel") or {}).get("id")
    if answer is None or channel is None:
        respond(text="Sorry, I can't share that answer any more.", replace_original=False)
        return
    user = body["user"]["id"]
    posted = client.chat_postMessage(
        channel=channel,
        text=f"<@{user}> shared: {answer_fallback(answer)}",
        blocks=[
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<@{user}> asked:"}]},
            *answer_blocks(answer, answer_id)[:49],
        ],
        unfurl_links=False,
    )
    try:
        # Follow-up questions in the shared answer's thread build on it.
        services.records.mark_posted(answer_id, channel, posted.get("ts"))
    except DATABASE_DOWN:
        services.metrics.errors.labels("database").inc()
    respond(delete_original=True)


def register(app: App, services: Services) -> None:
    # Lazy listeners: acked at once in the request's thread, the work done in the pool.
    app.action(FEEDBACK_ACTION)(ack=ack_feedback, lazy=[bind(on_feedback, services)])
    # The buttons of answers posted before Slack's feedback buttons.
    app.action("feedback_down")(ack=ask_why, lazy=[bind(on_down, services)])
    app.view(FEEDBACK_CALLBACK)(ack=ack_at_once, lazy=[bind(on_reason, services)])
    for action_id, work in (
        ("feedback_up", on_up),
        ("show_english", on_show_english),
        ("show_chinese", on_show_chinese),
        ("share_answer", on_share),
    ):
        app.action(action_id)(ack=ack_at_once, lazy=[bind(work, services)])
