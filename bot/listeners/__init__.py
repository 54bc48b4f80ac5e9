"""Slack listeners by kind (AI-app container, App Home, events, commands, actions, curation,
shortcuts)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, assistant, commands, curation, events, home, shortcuts
from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    # The AI-app container's threads (DM threads) go to it before the event listeners.
    app.use(assistant.build(services))
    home.register(app, services)
    # After every other event listener: its catch-all takes the events none of them handles.
    events.register(app, services)
    commands.register(app, services)
    actions.register(app, services)
    curation.register(app, services)
    shortcuts.register(app, services)
