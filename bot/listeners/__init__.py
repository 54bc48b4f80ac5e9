"""Listener registration, grouped by kind (events, commands, actions)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events
from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    events.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
