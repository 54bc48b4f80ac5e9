"""The `/rumor` slash command: ask, sources, help, reload (admins) and stats (admins)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blocks import (
    answer_blocks,
    answer_fallback,
    help_blocks,
    reload_report_text,
    sources_blocks,
    stats_text,
    timeline_blocks,
    usage_hint,
)
from bot.listeners.answering import answer_and_log, failed, question_from
from bot.services import Services
from bot.text import escape_mrkdwn
from retrieval.engine import ReloadInProgress

log = logging.getLogger(__name__)

RELOAD_STARTED = (
    ":arrows_counterclockwise: Reloading the corpus;"
    " questions are answered from the current one meanwhile."
)
RELOAD_BUSY = "A reload is already running; the current corpus is served until it finishes."


def _admins_only(services: Services, user_id: str, what: str) -> str | None:
    """The refusal for a non-admin, or None for an admin."""
    admins = services.settings.admin_user_ids
    if user_id in admins:
        return None
    who = ", ".join(f"<@{a}>" for a in admins) if admins else "nobody is configured as admin"
    return f"Sorry, only admins can {what}. Admins: {who}."


def ask(services: Services, command: dict[str, Any], ack: Ack, respond: Respond, text: str) -> None:
    question = question_from(text)
    if not question:
        ack(text=usage_hint())
        return
    ack(text=":mag: Looking through the sources…")
    try:
        answer, answer_id = answer_and_log(
            services,
            question,
            surface="command",
            request_id=command.get("trigger_id"),
            user_id=command.get("user_id"),
            channel_id=command.get("channel_id"),
        )
        # Private first, with a button to share: a noisy answer never lands in the channel.
        respond(
            text=answer_fallback(answer),
            blocks=answer_blocks(answer, answer_id, shareable=True),
            response_type="ephemeral",
            replace_original=True,
        )
    except Exception as exc:
        text = failed(services, "command", exc)
        respond(text=text, response_type="ephemeral", replace_original=True)


def sources(services: Services, ack: Ack) -> None:
    last = services.store.last_ingest()
    listed = services.store.sources()
    ack(
        blocks=sources_blocks(
            listed,
            services.store.current_version(),
            last.finished_at if last else None,
            services.english_titles(listed),
        ),
        text="The sources in the corpus",
    )


def reload(services: Services, command: dict[str, Any], ack: Ack, respond: Respond) -> None:
    user_id = command["user_id"]
    refusal = _admins_only(services, user_id, "reload the corpus")
    if refusal:
        ack(text=refusal)
        return
    ack(text=RELOAD_STARTED)
    try:
        report = services.answers.reload(triggered_by=user_id)
    except ReloadInProgress:
        respond(text=RELOAD_BUSY)
        return
    except Exception as exc:
        log.exception("reload failed")
        services.metrics.reloads.labels("failed").inc()
        reason = escape_mrkdwn(f"{type(exc).__name__}: {exc}"[:300])
        respond(text=f"Reload failed; the previous corpus is still being served. ({reason})")
        return
    services.metrics.reloads.labels("ok").inc()
    services.background_translation.request()
    respond(text=reload_report_text(report.ingest, report.served_version, report.duration_s))


def stats(services: Services, command: dict[str, Any], ack: Ack) -> None:
    refusal = _admins_only(services, command["user_id"], "see the stats")
    ack(text=refusal or stats_text(services.records.stats()))


def timeline(services: Services, ack: Ack, respond: Respond, text: str) -> None:
    topic = question_from(text)
    if not topic:
        ack(text="Give a topic, e.g. `/rumor timeline Orion` or `/rumor timeline Opus 3.5`.")
        return
    ack()
    try:
        entries = services.answers.timeline(topic)
        respond(
            blocks=timeline_blocks(topic, entries),
            text=f"Timeline: {topic}",
            response_type="ephemeral",
        )
    except Exception as exc:
        respond(text=failed(services, "command", exc), response_type="ephemeral")


def register(app: App, services: Services) -> None:
    @app.command("/rumor")
    def on_rumor(command: dict[str, Any], ack: Ack, respond: Respond) -> None:
        verb, _, rest = (command.get("text") or "").strip().partition(" ")
        handlers: dict[str, Callable[[], None]] = {
            "ask": lambda: ask(services, command, ack, respond, rest),
            "sources": lambda: sources(services, ack),
            "timeline": lambda: timeline(services, ack, respond, rest),
            "reload": lambda: reload(services, command, ack, respond),
            "stats": lambda: stats(services, command, ack),
            "help": lambda: ack(blocks=help_blocks(), text="How to use rumorbot"),
            "": lambda: ack(blocks=help_blocks(), text="How to use rumorbot"),
        }
        handler = handlers.get(verb.lower())
        if handler is None:
            # "/rumor why was Opus 3.5 not released?" reads as a question.
            ask(services, command, ack, respond, command.get("text") or "")
        else:
            handler()
