"""The deployment files agree with the code: every variable compose sets is one rumorbot reads,
and the proxy sends requests where the image listens."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import AliasChoices

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(a for a in alias.choices if isinstance(a, str))
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"RUMORBOT_{name.upper()}")
    return names


def test_compose_sets_only_variables_rumorbot_reads() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())
    bot = compose["services"]["bot"]
    assert set(bot["environment"]) <= setting_names()
    database = re.match(r"postgresql://[^@]+@([^:/]+)", bot["environment"]["DATABASE_URL"])
    assert database and database.group(1) in compose["services"]
    assert bot["scale"] >= 2


def test_the_proxy_reaches_the_port_the_image_serves() -> None:
    port = re.search(r"\bPORT=(\d+)", (ROOT / "Dockerfile").read_text()).group(1)
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(rf"http://bot:{port};", nginx)
