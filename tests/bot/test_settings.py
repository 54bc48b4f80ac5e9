"""The one settings object, read from the environment as deployments set it."""

from __future__ import annotations

import pytest

from bot.settings import Settings


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "DATABASE_URL", "RUMORBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_empty_values_mean_unset(environ: pytest.MonkeyPatch) -> None:
    # A compose file's ${SLACK_APP_TOKEN:-} must not switch on Socket Mode with an empty token.
    environ.setenv("SLACK_APP_TOKEN", "")
    environ.setenv("DATABASE_URL", "")
    environ.setenv("RUMORBOT_ADMIN_USER_IDS", "")
    settings = Settings(_env_file=None)
    assert settings.slack_app_token is None
    assert settings.db_url.startswith("sqlite:///")
    assert settings.admin_user_ids == []


def test_values_from_the_environment(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("DATABASE_URL", "postgres://bot:pw@db:5432/rumorbot")
    environ.setenv("RUMORBOT_ADMIN_USER_IDS", "U1, U2,")
    environ.setenv("SLACK_BOT_TOKEN", "xoxb-not-for-logs")
    environ.setenv("PORT", "8080")
    settings = Settings(_env_file=None)
    assert settings.db_url == "postgresql+psycopg://bot:pw@db:5432/rumorbot"
    assert settings.admin_user_ids == ["U1", "U2"]
    assert settings.port == 8080
    assert "xoxb-not-for-logs" not in repr(settings) and "pw@" not in repr(settings)
