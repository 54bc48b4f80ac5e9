"""`manifest.yml` against the fields Slack documents for app manifests (no schema of Slack's
is available offline): unknown or misspelt fields fail, the agent view replaces the assistant
view, every Web API method the code calls has its scope, every event listened to is subscribed,
and the README's install steps name what the manifest asks for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

ROOT = Path(__file__).resolve().parents[2]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DisplayInformation(Strict):
    name: str = Field(max_length=35)
    description: str = Field(max_length=140)
    long_description: str | None = Field(None, min_length=175, max_length=4000)
    background_color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class AppHome(Strict):
    home_tab_enabled: bool
    messages_tab_enabled: bool
    messages_tab_read_only_enabled: bool


class BotUser(Strict):
    display_name: str = Field(max_length=80)
    always_online: bool


class Prompt(Strict):
    title: str
    message: str


class AgentView(Strict):
    agent_description: str = Field(max_length=500)
    suggested_prompts: list[Prompt] = Field(max_length=4)


class Shortcut(Strict):
    name: str
    type: Literal["message", "global"]
    callback_id: str
    description: str


class SlashCommand(Strict):
    command: str = Field(pattern=r"^/[a-z0-9_-]+$")
    url: HttpUrl
    description: str
    usage_hint: str | None = None
    should_escape: bool


class Features(Strict):
    app_home: AppHome
    bot_user: BotUser
    agent_view: AgentView
    shortcuts: list[Shortcut]
    slash_commands: list[SlashCommand]


class Scopes(Strict):
    bot: list[str]


class OAuthConfig(Strict):
    scopes: Scopes


class EventSubscriptions(Strict):
    request_url: HttpUrl
    bot_events: list[str]


class Interactivity(Strict):
    is_enabled: bool
    request_url: HttpUrl


class SettingsBlock(Strict):
    event_subscriptions: EventSubscriptions
    interactivity: Interactivity
    org_deploy_enabled: bool
    socket_mode_enabled: bool
    token_rotation_enabled: bool


class Manifest(Strict):
    display_information: DisplayInformation
    features: Features
    oauth_config: OAuthConfig
    settings: SettingsBlock


# The bot scope each Web API method the code calls needs (docs.slack.dev/reference/methods).
SCOPE_OF = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "reactions_add": "reactions:write",
    "reactions_remove": "reactions:write",
    "assistant_threads_setStatus": "assistant:write",
    "assistant_threads_setSuggestedPrompts": "assistant:write",
    "assistant_threads_setTitle": "assistant:write",
    "files_upload_v2": "files:write",
    "files_info": "files:read",
    "conversations_info": "channels:read",
    "users_conversations": "channels:read",
    "views_open": None,
    "views_publish": None,
}
API_CALL = re.compile(
    r"\.((?:chat|reactions|assistant_threads|files|conversations|users|views)_[A-Za-z0-9_]+)\("
)


def manifest() -> Manifest:
    return Manifest.model_validate(yaml.safe_load((ROOT / "manifest.yml").read_text()))


def test_the_manifest_has_only_documented_fields() -> None:
    app = manifest()
    assert app.features.slash_commands[0].command == "/rumor"
    (shortcut,) = app.features.shortcuts
    assert (shortcut.type, shortcut.callback_id) == ("message", "check_rumour")
    assert app.features.app_home.home_tab_enabled and app.features.app_home.messages_tab_enabled
    assert app.settings.interactivity.is_enabled


def test_a_misspelt_or_legacy_field_is_refused() -> None:
    raw = yaml.safe_load((ROOT / "manifest.yml").read_text())
    raw["features"]["assistant_view"] = {"assistant_description": "old"}
    try:
        Manifest.model_validate(raw)
    except ValueError as exc:
        assert "assistant_view" in str(exc)
    else:
        raise AssertionError("a legacy assistant_view passed")


def test_the_agent_view_offers_the_prompts_the_code_offers() -> None:
    from bot.listeners.prompts import PROMPTS

    prompts = manifest().features.agent_view.suggested_prompts
    assert [p.model_dump() for p in prompts] == PROMPTS


def test_every_api_call_has_its_scope_and_every_event_is_subscribed() -> None:
    app = manifest()
    scopes = set(app.oauth_config.scopes.bot)
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    called = set(API_CALL.findall(source))
    assert called <= SCOPE_OF.keys(), f"add the scope of {called - SCOPE_OF.keys()} here"
    assert {SCOPE_OF[m] for m in called} - {None} <= scopes
    assert {"app_mentions:read", "commands", "im:history", "groups:read"} <= scopes
    events = set(app.settings.event_subscriptions.bot_events)
    listened = set(re.findall(r'app\.event\("([a-z_]+)"\)', source))
    assert listened == {"app_mention", "message", "app_home_opened"}
    assert {"app_mention", "app_home_opened", "message.im", "message.channels"} <= events
    assert not {e for e in events if e.startswith("assistant_thread")}


def test_the_readme_install_steps_match_the_manifest() -> None:
    guide = (ROOT / "docs" / "slack.md").read_text()
    for scope in manifest().oauth_config.scopes.bot:
        assert f"`{scope}`" in guide, f"docs/slack.md does not say why it asks for {scope}"
    assert "agent_view" in guide and "`files:write`" in guide
    readme = (ROOT / "README.md").read_text()
    assert "manifest.yml" in readme and "docs/slack.md" in readme
