"""Curating the corpus from Slack (admins): `/rumor add <link>`, a .txt/.md/.html file shared
in a DM, `/rumor remove <source>` confirmed by a button. Each change is followed by what a
reload is: English renderings in the background, digests to following channels, corrections
of past answers. Every refusal gets its reason, privately, and changes nothing."""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import CANCEL_REMOVE_ACTION, REMOVE_ACTION, added_text, remove_prompt
from bot.curation import KINDS, add_file, add_link, find_sources
from bot.listeners.binding import ack_at_once, bind
from bot.services import Services
from bot.slack_errors import slack_error
from bot.text import escape_mrkdwn, truncate, unescape_slack
from retrieval.answers.engine import ReloadInProgress, ReloadReport
from retrieval.corpus.articles import UPLOAD_SUFFIXES
from retrieval.corpus.fetch import FetchRefused, read_capped
from retrieval.corpus.ingest import SourceRefused

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 10.0
BUSY = "A reload or another change is running; try again in a minute."
ADD_HINT = (
    "Give a link, e.g. `/rumor add https://example.com/gpt-5-news`, and what it is if you know"
    " (`report`, `analysis`, `transcript` or `commentary`; it sets the source's tier)."
)
REMOVE_HINT = "Name a source: its file name (see `/rumor sources`) or a part of its title."


def link_of(text: str) -> str | None:
    """The URL of `/rumor add <url>`: Slack sends a pasted link as `<https://…>` or
    `<https://…|label>`."""
    match = re.search(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>|(https?://\S+)", text)
    if match is None:
        return None
    return unescape_slack(match.group(1) or match.group(2))


def after_change(services: Services, client: WebClient, report: ReloadReport) -> str:
    """What follows any change to the corpus, as notes for its report."""
    services.metrics.reloads.labels("ok").inc()
    services.background_translation.request()
    notes = digests_note(services, client) + corrections_note(services, client)
    if failure := services.answers.build_failure:
        notes += (
            f"\n:warning: The new index could not be built ({escape_mrkdwn(failure[:200])});"
            f" answers still come from corpus version {report.served_version}."
        )
    return notes


def digests_note(services: Services, client: WebClient) -> str:
    """Digests to the channels the change concerns, sent now rather than at the next sweep."""
    try:
        sent = services.digests.deliver(client)
    except Exception:
        log.warning("could not send digests now; the recovery sweep will", exc_info=True)
        return "\nDigests to following channels: will be sent shortly."
    return f"\nDigests sent to {len(sent)} following channel(s)." if sent else ""


def corrections_note(services: Services, client: WebClient) -> str:
    """Past answers the change altered: counted now, edited in Slack in the background."""
    corrections = services.corrections
    try:
        version = corrections.due()
        if version is None:
            return ""
        plan = corrections.plan(version)
    except Exception:
        log.warning("could not re-check past answers now; the recovery sweep will", exc_info=True)
        return "\nPast answers: will be re-checked shortly."
    corrections.request(client)
    return f"\nPast answers of the last {services.settings.recheck_days} days: {plan.summary()}."


def _added(services: Services, client: WebClient, report: ReloadReport) -> str:
    (source_id,) = report.ingest.added
    source = next(s for s in services.store.sources() if s.id == source_id)
    text = added_text(source, report.ingest.passages_added, report.served_version)
    return text + after_change(services, client, report)


def _refused(what: str, reason: str) -> str:
    return f":no_entry_sign: Not added: {escape_mrkdwn(what)}. {escape_mrkdwn(reason)}"


def add(services: Services, user: str, rest: str, respond: Respond, client: WebClient) -> None:
    """`/rumor add <url>` (`rest`: what follows the verb) after its ack: fetch, read, add; a
    private report either way."""
    url = link_of(rest)
    if url is None:
        respond(text=ADD_HINT, response_type="ephemeral")
        return
    shown = truncate(url, 200)
    # "/rumor add <url> report": what the source is, as sources.toml would say.
    kind = next((word for word in rest.lower().split() if word in KINDS), None)
    try:
        report = add_link(services, url, user, kind)
    except (FetchRefused, SourceRefused) as exc:
        respond(text=_refused(shown, str(exc)), response_type="ephemeral")
        return
    except ReloadInProgress:
        respond(text=BUSY, response_type="ephemeral")
        return
    except Exception as exc:
        log.exception("adding a link failed")
        respond(
            text=_refused(shown, f"it failed ({type(exc).__name__})"), response_type="ephemeral"
        )
        return
    respond(text=_added(services, client, report), response_type="ephemeral")


def remove(services: Services, rest: str, respond: Respond) -> None:
    """`/rumor remove <source>` (`rest`): which source, then a button to confirm."""
    query = rest.strip()
    found = find_sources(services, query) if query else []
    if not query or not found:
        hint = f"No source matches “{escape_mrkdwn(query)}”. " if query else ""
        respond(text=hint + REMOVE_HINT, response_type="ephemeral")
        return
    if len(found) > 1:
        names = ", ".join(f"`{escape_mrkdwn(s.id)}`" for s in found[:10])
        respond(
            text=f"{len(found)} sources match: {names}. {REMOVE_HINT}", response_type="ephemeral"
        )
        return
    respond(blocks=remove_prompt(found[0]), text="Remove this source?", response_type="ephemeral")


def on_remove(
    services: Services, body: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """The removal confirmed (admins only, checked again: a button can be forwarded)."""
    user = body["user"]["id"]
    if not services.settings.is_admin(user):
        respond(text="Sorry, only admins can remove sources.", replace_original=False)
        return
    source_id = str(body["actions"][0]["value"])
    try:
        was_file = any(
            s.id == source_id and s.added_via == "file" for s in services.store.sources()
        )
        report = services.answers.remove_source(source_id, triggered_by=f"removed by {user}")
    except SourceRefused as exc:
        respond(text=f"Nothing removed: {escape_mrkdwn(str(exc))}.", replace_original=True)
        return
    except ReloadInProgress:
        respond(text=BUSY, replace_original=False)
        return
    except Exception as exc:
        log.exception("removing a source failed")
        respond(text=f"Nothing removed: it failed ({type(exc).__name__}).", replace_original=False)
        return
    text = (
        f":wastebasket: Removed `{escape_mrkdwn(source_id)}`"
        f" ({report.ingest.passages_removed} passages); serving corpus version"
        f" {report.served_version}." + after_change(services, client, report)
    )
    if was_file:
        text += "\nIt is a file in `corpus/`: the next reload adds it back unless it is deleted."
    respond(text=text, replace_original=True)


def on_cancel(respond: Respond) -> None:
    respond(text="Nothing removed.", replace_original=True)


def shared_file(event: dict[str, Any]) -> dict[str, Any] | None:
    """The first file of a message that shares one a source can be made of (.txt, .md,
    .html): anything else shared with a question (a screenshot) leaves it a question."""
    files = event.get("files") or []
    if event.get("subtype") != "file_share" or not files:
        return None
    name = str(files[0].get("name") or "").lower()
    return files[0] if name.endswith(UPLOAD_SUFFIXES) else None


def on_file_shared(
    services: Services, event: dict[str, Any], client: WebClient, file: dict[str, Any]
) -> None:
    """A file an admin shared in a DM: added like a link, the report in the DM's thread."""
    channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
    name = str(file.get("name") or file.get("title") or "file")
    try:
        data = download(services, client, str(file["id"]))
        report = add_file(services, name, data, event.get("user"))
        text = _added(services, client, report)
    except (FetchRefused, SourceRefused) as exc:
        text = _refused(name, str(exc))
    except ReloadInProgress:
        text = BUSY
    except Exception as exc:
        log.exception("adding a shared file failed")
        text = _refused(name, f"it failed ({type(exc).__name__})")
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=text)
    except SlackApiError as exc:
        log.error("could not report on a shared file: %s", slack_error(exc))


def download(services: Services, client: WebClient, file_id: str) -> bytes:
    """A shared file's bytes, read with the bot token (scope `files:read`) from Slack only."""
    cap = services.settings.max_file_bytes
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        raise FetchRefused(f"Slack would not share the file ({slack_error(exc)})") from exc
    name = str(info.get("name") or "")
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise FetchRefused(f"only {', '.join(UPLOAD_SUFFIXES)} files can be added")
    if int(info.get("size") or 0) > cap:
        raise FetchRefused(f"too large ({int(info['size']):,} bytes; the cap is {cap:,})")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    parts, api = urlsplit(url), urlsplit(client.base_url)
    # The bot token goes to Slack's file host over HTTPS (or to the API host this app is
    # pointed at, as it is for the API itself) and nowhere else.
    to_slack = parts.scheme == "https" and parts.hostname == "files.slack.com"
    if not (to_slack or (parts.scheme, parts.hostname) == (api.scheme, api.hostname)):
        raise FetchRefused("the file is not on Slack's file host")
    headers = {"Authorization": f"Bearer {client.token}"}
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    with httpx.stream(
        "GET", url, headers=headers, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=False
    ) as response:
        if response.status_code != 200:
            raise FetchRefused(f"Slack answered HTTP {response.status_code} for the file")
        return read_capped(response, cap, deadline)


def register(app: App, services: Services) -> None:
    app.action(REMOVE_ACTION)(ack=ack_at_once, lazy=[bind(on_remove, services)])
    app.action(CANCEL_REMOVE_ACTION)(ack=ack_at_once, lazy=[on_cancel])
