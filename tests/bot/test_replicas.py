"""Two `rumorbot serve` processes on one PostgreSQL database, as a scaled-out deployment runs.

Each replica has its own data directory (model, index) and port; they share the database and
the corpus directory.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.bot.conftest import ADMIN, SlackClient, answer_id_of, at_once, mention
from tests.bot.slack_stub import SlackStub
from tests.bot.test_curation import Pages
from tests.bot.test_following import add_orion_source
from tests.bot.test_serve import free_port, start, stop, wait_healthy

pytestmark = pytest.mark.postgres


class Replica(SlackClient):
    """Signed requests to a replica running in its own process."""

    def __init__(self, port: int, stub: SlackStub, proc: subprocess.Popen):
        super().__init__(f"http://127.0.0.1:{port}", stub)
        self.proc, self.port = proc, port

    def version(self) -> int | None:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return json.loads(response.read())["corpus_version"]
        except OSError:
            return None


@pytest.fixture
def replicas(
    serve_env, postgres_url: str, stub: SlackStub, tmp_path: Path
) -> Iterator[list[Replica]]:
    env = {
        **serve_env,
        "DATABASE_URL": postgres_url,
        "RUMORBOT_ADMIN_USER_IDS": ADMIN,
        "RUMORBOT_FETCH_ALLOW_HOSTS": "127.0.0.1",  # the test's article pages
    }
    # Started together, as a deployment starts them: one migrates and ingests, one waits.
    running = []
    try:
        for name in ("a", "b"):
            port = free_port()
            proc = start(
                {**env, "RUMORBOT_DATA_DIR": str(tmp_path / f"replica-{name}")}, "--port", str(port)
            )
            running.append(Replica(port, stub, proc))
        for replica in running:
            wait_healthy(replica.port, replica.proc)
        yield running
    finally:
        for replica in running:
            if replica.proc.poll() is None:
                stop(replica.proc)


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_retry_to_the_other_replica_is_answered_once(replicas, stub: SlackStub) -> None:
    a, b = replicas
    a.event(mention("What is Orion?", ts="10.1"), event_id="EvReplicas")
    b.event(
        mention("What is Orion?", ts="10.1"),
        event_id="EvReplicas",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    stub.wait_for("chat.postMessage")
    time.sleep(1.5)
    assert stub.count("chat.postMessage") == 1


def test_reload_on_one_replica_reaches_the_other(replicas, stub, corpus_dir: Path) -> None:
    a, b = replicas
    before = a.version()
    assert before is not None and b.version() == before
    (corpus_dir / "005_new.txt").write_text(
        "新传闻\n\n据报道，Zorblax 9 将在明年发布，这是一个新的测试传闻。\n"
    )
    answered = []

    def keep_asking() -> None:
        for n in range(20):
            answered.append(
                b.event(mention("What is Orion?", ts=f"20.{n}"), event_id=f"EvR{n}").status
            )
            time.sleep(0.1)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    assert a.command("reload", user_id=ADMIN).status == 200
    stub.wait_for(f"response/{ADMIN}", timeout=60)
    deadline = time.monotonic() + 15
    while b.version() == before and time.monotonic() < deadline:
        time.sleep(0.2)
    asker.join()
    assert b.version() == a.version() != before
    assert answered == [200] * 20
    posts = stub.wait_for("chat.postMessage", count=20, timeout=60)
    assert not [p for p in posts if str(p.get("text", "")).startswith("Sorry")]


def test_simultaneous_reloads_make_one_version(replicas, stub, corpus_dir, postgres_url) -> None:
    a, b = replicas
    (corpus_dir / "005_new.txt").write_text(
        "新传闻\n\n据报道，Zorblax 9 将在明年发布，这是一个新的测试传闻。\n"
    )
    at_once(lambda r: r.command("reload", user_id=ADMIN), replicas)
    stub.wait_for(f"response/{ADMIN}", count=2, timeout=60)
    changed = query(postgres_url, "SELECT id FROM corpus_versions WHERE status = 'changed'")
    assert len(changed) == 2  # the start-up ingest, then one of the two reloads
    (count,) = query(postgres_url, "SELECT count(*) FROM sources")[0]
    assert count == 6
    newest = max(changed)[0]
    deadline = time.monotonic() + 15
    while {a.version(), b.version()} != {newest} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert a.version() == b.version() == newest


def test_a_source_added_from_slack_on_one_replica_is_served_by_both(
    replicas, stub, corpus_dir
) -> None:
    """No shared corpus directory: the database carries the added source to the other."""
    a, b = replicas
    pages = Pages(corpus_dir)
    try:
        a.command(f"add {pages.url}/zh-news.html", user_id=ADMIN)
        (report,) = stub.wait_for(f"response/{ADMIN}", timeout=120)
        assert "*Added*" in report["text"]
        deadline = time.monotonic() + 15
        while b.version() != a.version() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert a.version() == b.version()
        b.event(mention("What is Project Stardust?", ts="40.1"), event_id="EvAddedB")
        (answer,) = stub.wait_for("chat.postMessage", timeout=60)
        assert "星尘计划" in json.dumps(answer["blocks"], ensure_ascii=False)
    finally:
        pages.server.shutdown()


def test_answers_and_feedback_from_both_land_in_one_database(replicas, stub, postgres_url) -> None:
    a, b = replicas
    a.event(mention("What is Orion?", ts="30.1"), event_id="EvLogA")
    b.event(mention("什么是通用验证器？", ts="30.2"), event_id="EvLogB")
    posts = stub.wait_for("chat.postMessage", count=2)
    ids = [
        answer_id_of(json.loads(p["blocks"]) if isinstance(p["blocks"], str) else p["blocks"])
        for p in posts
    ]
    a.action("feedback_up", ids[1], user_id="U1")
    b.action("feedback_down", ids[0], user_id="U2")
    stub.wait_for("response/action-U1")
    stub.wait_for("views.open")  # 👎 asks why
    assert query(postgres_url, "SELECT count(*) FROM answers")[0][0] == 2
    deadline = time.monotonic() + 10
    while len(query(postgres_url, "SELECT vote FROM feedback")) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sorted(v for (v,) in query(postgres_url, "SELECT vote FROM feedback")) == [-1, 1]


def test_a_changed_answer_is_corrected_once_when_both_reload(
    replicas, stub, corpus_dir: Path, postgres_url: str
) -> None:
    a, _ = replicas
    stub.scripted["chat.postMessage"].append((200, {}, {"ok": True, "ts": "40.2"}))
    a.event(mention("Orion 的训练已经完成了吗？", ts="40.1"), event_id="EvFixed")
    stub.wait_for("chat.postMessage")
    deadline = time.monotonic() + 10
    while query(postgres_url, "SELECT message_ts FROM answers") != [("40.2",)]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    add_orion_source(corpus_dir)
    at_once(lambda r: r.command("reload", user_id=ADMIN), replicas)
    stub.wait_for(f"response/{ADMIN}", count=2, timeout=60)
    (update,) = stub.wait_for("chat.update", timeout=30)
    assert update["ts"] == "40.2"
    time.sleep(3)  # both replicas have planned it by now; the loser of the claim sent nothing
    assert stub.count("chat.update") == 1
    assert stub.count("chat.postMessage") == 2  # the answer, and the one note to its asker
    (status,) = query(postgres_url, "SELECT status FROM notifications WHERE kind = 'correction'")
    assert status == ("posted",)
