"""The database failing under a serving bot: questions are still answered (from the index in
memory), nothing is lost silently, and /healthz tells operators what is wrong."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.services import build_services
from tests.bot.conftest import RunningApp, make_settings, mention


def counter(app: RunningApp, where: str) -> float:
    return app.services.metrics.errors.labels(where)._value.get()


def answered(app: RunningApp, count: int) -> dict:
    return app.stub.wait_for("chat.postMessage", count=count, timeout=30)[count - 1]


def has_buttons(call: dict) -> bool:
    return any(b["type"] == "context_actions" for b in call["blocks"])


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB filesystem of the test's own: filled up, it is a full disk (needs root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_still_answers_and_health_says_so(
    small_disk: Path, corpus_dir: Path, stub, monkeypatch
) -> None:
    settings = make_settings(small_disk, corpus_dir, stub.url)
    services = build_services(settings)
    services.answers.start()
    app = RunningApp(services, stub)
    try:
        filler = fill(small_disk)
        app.event(mention("why was Opus 3.5 not released?", ts="1.1"), event_id="EvFull1")
        call = answered(app, 1)
        assert call["thread_ts"] == "1.1" and "Opus" in json.dumps(call["blocks"])
        assert not has_buttons(call)  # feedback needs the answer's record
        assert counter(app, "unrecorded") == 1
        health = app.get("/healthz")
        assert health.status == 200 and health.json()["status"] == "degraded"
        assert "writes failing" in health.json()["database"]

        filler.unlink()  # space again: answers are recorded, health recovers
        app.event(mention("what is Orion?", ts="1.2"), event_id="EvFull2")
        assert has_buttons(answered(app, 2))
        monkeypatch.setattr("bot.store.health.WRITE_PROBLEM_SHOWN", timedelta(0))
        assert app.get("/healthz").json()["status"] == "ok"
    finally:
        app.close()


@pytest.mark.postgres
def test_postgresql_going_away_loses_no_question(
    postgres_url: str, corpus_dir: Path, stub, tmp_path
):
    settings = make_settings(tmp_path, corpus_dir, stub.url, db_url=postgres_url)
    services = build_services(settings)
    services.answers.start()
    app = RunningApp(services, stub)
    name = make_url(postgres_url).database
    admin = create_engine(
        make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )

    def outage(on: bool) -> None:
        # What a restart looks like from here: connections cut, new ones refused.
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not on).lower()}'))
            if on:
                terminate = (
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                )
                conn.execute(text(terminate), {"n": name})

    try:
        outage(True)
        for i in range(5):
            app.event(mention(f"question {i}: what is Orion?", ts=f"7.{i}"), event_id=f"EvPg{i}")
        calls = app.stub.wait_for("chat.postMessage", count=5, timeout=60)
        assert sorted(c["thread_ts"] for c in calls) == [f"7.{i}" for i in range(5)]
        assert all("Sorry" not in c.get("text", "") for c in calls)
        assert counter(app, "unrecorded") == 5
        health = app.get("/healthz")
        assert health.status == 200 and health.json()["status"] == "degraded"
        assert app.command("sources").status == 200  # an ack, with an apology, in time

        outage(False)
        app.event(mention("what is Orion?", ts="7.9"), event_id="EvPgBack")
        assert has_buttons(app.stub.wait_for("chat.postMessage", count=6, timeout=60)[-1])
        assert app.get("/healthz").json()["status"] == "degraded"  # shown for a while after
        app.services.write_health.last_failure = None
        assert app.get("/healthz").json()["status"] == "ok"
    finally:
        outage(False)
        app.close()
        services.engine.dispose()
        admin.dispose()


def test_health_says_when_index_builds_fail(running: RunningApp) -> None:
    assert running.get("/healthz").json()["status"] == "ok"
    # What a restart on a read-only index directory leaves (tests/retrieval/test_index.py).
    running.services.answers.build_failure = "OSError: [Errno 30] Read-only file system"
    health = running.get("/healthz")
    assert health.status == 200 and health.json()["status"] == "degraded"
    assert health.json()["index"].startswith("builds failing: OSError")
