"""The `/rumor` slash command: ask, sources, timeline, follow / unfollow / following, mode,
help, and for admins reload, stats and gaps."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import answer_and_log, failed, question_from
from bot.blocks import (
    answer_blocks,
    answer_fallback,
    context,
    following_text,
    gaps_text,
    help_blocks,
    reload_report_text,
    sources_blocks,
    stats_text,
    timeline_blocks,
    usage_hint,
)
from bot.listeners import curation
from bot.listeners.binding import bind
from bot.services import Services
from bot.slack_errors import slack_error
from bot.store.channel_modes import MODES
from bot.store.gaps import gaps_of
from bot.store.health import DATABASE_DOWN
from bot.store.subscriptions import FollowError, clean_topic
from bot.text import escape_mrkdwn
from retrieval.answers.engine import ReloadInProgress

log = logging.getLogger(__name__)

RELOAD_STARTED = (
    ":arrows_counterclockwise: Reloading the corpus;"
    " questions are answered from the current one meanwhile."
)
RELOAD_BUSY = "A reload is already running; the current corpus is served until it finishes."


def _admins_only(services: Services, user_id: str, what: str) -> str | None:
    """The refusal for a non-admin, or None for an admin."""
    admins = services.settings.admin_user_ids
    if services.settings.is_admin(user_id):
        return None
    who = ", ".join(f"<@{a}>" for a in admins) if admins else "nobody is configured as admin"
    return f"Sorry, only admins can {what}. Admins: {who}."


LOOKING = ":mag: Looking through the sources…"
DATABASE_BUSY = (
    "Sorry, my database is unavailable right now; questions still work, try this in a minute."
)
TIMELINE_HINT = "Give a topic, e.g. `/rumor timeline Orion` or `/rumor timeline Opus 3.5`."
VERBS = (
    "ask",
    "sources",
    "timeline",
    "follow",
    "unfollow",
    "following",
    "mode",
    "reload",
    "add",
    "remove",
    "stats",
    "gaps",
    "help",
)
GAP_DAYS = 30


def parse(command: dict[str, Any]) -> tuple[str, str]:
    """The verb and what follows it; "/rumor why was Opus 3.5 not released?" reads as a
    question and a bare "/rumor" as help."""
    text = (command.get("text") or "").strip()
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    if not verb:
        return "help", ""
    if verb not in VERBS:
        return "ask", text
    return verb, rest


def acknowledgement(services: Services, command: dict[str, Any]) -> dict[str, Any]:
    """What Slack gets back at once (within its 3 seconds): the whole reply for quick verbs,
    a "working on it" for slow ones. Runs in the request's own thread, never queued behind
    answers."""
    try:
        return _acknowledgement(services, command)
    except DATABASE_DOWN:
        services.metrics.errors.labels("database").inc()
        return {"text": DATABASE_BUSY}


def _acknowledgement(services: Services, command: dict[str, Any]) -> dict[str, Any]:
    verb, rest = parse(command)
    if verb == "ask":
        return {"text": LOOKING if question_from(rest) else usage_hint()}
    if verb == "timeline":
        return {} if question_from(rest) else {"text": TIMELINE_HINT}
    if verb == "reload":
        refusal = _admins_only(services, command["user_id"], "reload the corpus")
        return {"text": refusal or RELOAD_STARTED}
    if verb == "add":
        refusal = _admins_only(services, command["user_id"], "add sources")
        link = curation.link_of(rest)
        fetching = f":mag: Fetching {escape_mrkdwn(link)}…" if link else curation.ADD_HINT
        return {"text": refusal or fetching}
    if verb == "remove":
        refusal = _admins_only(services, command["user_id"], "remove sources")
        return {"text": refusal} if refusal else {}
    if verb == "gaps":
        refusal = _admins_only(services, command["user_id"], "see what the corpus lacks")
        return {"text": refusal or f":mag: Grouping the last {GAP_DAYS} days' weak answers…"}
    if verb == "stats":
        refusal = _admins_only(services, command["user_id"], "see the stats")
        return {"text": refusal or stats_text(services.records.stats())}
    if verb == "sources":
        return {"blocks": sources(services), "text": "The sources in the corpus"}
    if verb in ("follow", "unfollow", "following"):
        return {"text": following(services, command, verb, rest)}
    if verb == "mode":
        return mode(services, command, rest.strip().lower())
    return {"blocks": help_blocks(), "text": "How to use rumorbot"}


def following(services: Services, command: dict[str, Any], verb: str, rest: str) -> str:
    """Follow, unfollow and list a channel's topics: quick database work, answered in the ack
    (privately: the channel hears about it through the digests, not through the command)."""
    channel = command.get("channel_id") or ""
    subscriptions = services.subscriptions
    if verb == "following":
        return following_text([f.topic for f in subscriptions.following([channel])])
    if channel.startswith("D"):
        return "Topics are followed by channels; run this in the channel that should hear."
    try:
        topic = clean_topic(question_from(rest))
        if verb == "unfollow":
            gone = subscriptions.unfollow(channel, topic)
            state = "no longer follows" if gone else "does not follow"
            return f"This channel {state} {escape_mrkdwn(topic)}."
        topic, new = subscriptions.follow(channel, topic, command.get("user_id"))
    except FollowError as exc:
        return str(exc)
    topic = escape_mrkdwn(topic)
    if not new:
        return f"This channel already follows {topic}."
    log.info("channel=%s follows a new topic", channel)
    return (
        f":bell: This channel now follows *{topic}*: when a corpus change brings or removes"
        f" passages about it, I post one digest here. `/rumor following` lists the topics."
    )


MODE_SAID = {
    "mention": "answers here when mentioned (`@rumorbot …`)",
    "auto": "answers every question asked here, without a mention",
}


def mode(services: Services, command: dict[str, Any], wanted: str) -> dict[str, Any]:
    """Show or set how rumorbot answers in this channel. Admins set it in the ack; anyone
    else is checked against the channel's creator after it (a Web API call)."""
    channel = command.get("channel_id") or ""
    if channel.startswith("D"):
        return {"text": "Modes are per channel; in a DM every message is a question already."}
    if not wanted:
        current = services.modes.mode(channel)
        return {"text": f"In this channel rumorbot {MODE_SAID[current]} (mode `{current}`)."}
    if wanted not in MODES:
        return {"text": "Use `/rumor mode auto`, `/rumor mode mention` or `/rumor mode`."}
    if not services.settings.is_admin(command["user_id"]):
        return {}  # the creator check follows in the pool
    return {"text": set_mode(services, channel, wanted, command["user_id"])}


def set_mode(services: Services, channel: str, wanted: str, user_id: str) -> str:
    services.modes.set_mode(channel, wanted, user_id)
    log.info("channel=%s mode=%s set by user=%s", channel, wanted, user_id)
    return f"Done: in this channel rumorbot now {MODE_SAID[wanted]}."


def mode_by_creator(
    services: Services, command: dict[str, Any], respond: Respond, client: WebClient, wanted: str
) -> None:
    channel, user = command.get("channel_id") or "", command["user_id"]
    try:
        creator = client.conversations_info(channel=channel)["channel"].get("creator")
    except Exception as exc:
        log.warning("could not read channel=%s creator: %s", channel, slack_error(exc) or exc)
        creator = None
    if creator != user:
        refusal = _admins_only(services, user, "change this channel's mode (or its creator)")
        respond(text=refusal or "")
        return
    try:
        respond(text=set_mode(services, channel, wanted, user))
    except DATABASE_DOWN:
        respond(text=DATABASE_BUSY)


def run_command(
    services: Services, command: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """The slow part, in the listener pool after the ack: answers, timelines, reloads."""
    verb, rest = parse(command)
    channel_is_dm = (command.get("channel_id") or "").startswith("D")
    if verb == "ask" and (question := question_from(rest)):
        ask(services, command, respond, question)
    elif verb == "timeline" and (topic := question_from(rest)):
        timeline(services, command, respond, client, topic)
    elif verb == "reload" and not _admins_only(services, command["user_id"], "reload"):
        reload(services, command, respond, client)
    elif verb == "add" and not _admins_only(services, command["user_id"], "add"):
        curation.add(services, command["user_id"], rest, respond, client)
    elif verb == "remove" and not _admins_only(services, command["user_id"], "remove"):
        curation.remove(services, rest, respond)
    elif verb == "gaps" and not _admins_only(services, command["user_id"], "see gaps"):
        try:
            text = gaps_text(gaps_of(services.answers, services.records, GAP_DAYS), GAP_DAYS)
        except Exception as exc:
            text = failed(services, "command", exc)
        respond(text=text, response_type="ephemeral", replace_original=True)
    elif (
        verb == "mode"
        and (wanted := rest.strip().lower()) in MODES
        and not channel_is_dm
        and not services.settings.is_admin(command["user_id"])
    ):
        mode_by_creator(services, command, respond, client, wanted)


def ask(services: Services, command: dict[str, Any], respond: Respond, question: str) -> None:
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


def sources(services: Services) -> list[dict[str, Any]]:
    last = services.store.last_ingest()
    listed = services.store.sources()
    return sources_blocks(
        listed,
        services.store.current_version(),
        last.finished_at if last else None,
        services.english_titles(listed),
    )


def reload(
    services: Services, command: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    user_id = command["user_id"]
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
    text = reload_report_text(report.ingest, report.served_version, report.duration_s)
    respond(text=text + curation.after_change(services, client, report))


def timeline(
    services: Services, command: dict[str, Any], respond: Respond, client: WebClient, topic: str
) -> None:
    """The topic's timeline: the list in the channel with the picture in its thread; only
    the list, privately, where the bot cannot post or there is nothing dated to draw."""
    try:
        entries = services.answers.timeline(topic)
    except Exception as exc:
        respond(text=failed(services, "command", exc), response_type="ephemeral")
        return
    try:
        from bot.charts import timeline_png  # matplotlib: imported only by what draws

        picture = timeline_png(topic, entries)
    except Exception:
        log.exception("could not draw the timeline of %r; posting the list only", topic)
        picture = None
    # The topic as typed (`&lt;!channel&gt;` arrives unescaped): posted in the channel, so escaped.
    blocks, text = timeline_blocks(topic, entries), f"Timeline: {escape_mrkdwn(topic)}"
    if picture is None:
        respond(blocks=blocks, text=text, response_type="ephemeral")
        return
    channel, user = command.get("channel_id") or "", command["user_id"]
    try:
        asked = context(f"<@{user}> asked for this timeline")
        posted = client.chat_postMessage(
            channel=channel, text=text, blocks=[asked, *blocks], unfurl_links=False
        )
    except SlackApiError as exc:
        # A DM between people, a channel the bot is not in: the list privately, as before.
        log.info("timeline not posted in channel=%s: %s", channel, slack_error(exc))
        invite = context(INVITE_FOR_PICTURE)
        respond(blocks=[*blocks, invite], text=text, response_type="ephemeral")
        return
    if failure := upload_picture(client, channel, posted["ts"], topic, picture):
        respond(text=failure, response_type="ephemeral", replace_original=False)


INVITE_FOR_PICTURE = (
    "Invite me to this channel (`/invite @rumorbot`) to get the timeline as a picture too."
)
NO_FILES_SCOPE = (
    "The timeline's picture needs the `files:write` scope: an admin can reinstall rumorbot"
    " from the current manifest. The list above is the whole timeline."
)


def upload_picture(
    client: WebClient, channel: str, thread_ts: str, topic: str, picture: bytes
) -> str | None:
    """The timeline's PNG into the thread of its list; a one-line note when it could not be."""
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=picture,
            filename="timeline.png",
            title=f"Timeline: {topic}",
            alt_txt=f"Chart of the sources on {topic} by date; the same list is in the message.",
            request_file_info=False,  # nothing of it is needed back
        )
    except SlackApiError as exc:
        error = slack_error(exc)
        log.warning("timeline picture not uploaded: %s", error)
        if error == "missing_scope":
            return NO_FILES_SCOPE
        return f"The timeline's picture could not be uploaded ({escape_mrkdwn(str(error))})."
    return None


def on_rumor(services: Services, command: dict[str, Any], ack: Ack) -> None:
    ack(**acknowledgement(services, command))


def register(app: App, services: Services) -> None:
    # Bolt's lazy listeners: the ack runs at once in the request's thread; `run_command` runs
    # in the listener pool, so a pool busy with answers never delays an ack past 3 seconds.
    app.command("/rumor")(ack=bind(on_rumor, services), lazy=[bind(run_command, services)])
