"""Listener registration, grouped by kind (events, commands, actions, shortcuts, App Home)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, home, shortcuts
from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    home.register(app, services)
    # After every other event listener: its catch-all takes the events none of them handles.
    events.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    shortcuts.register(app, services)
