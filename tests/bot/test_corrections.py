"""Past answers corrected in place after a corpus change: through the real Bolt path and the
stub Web API, claimed once across replicas, Slack's refusals recorded and not retried."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import select

from bot.outbox.corrections import KIND
from bot.services import Services
from bot.store.tables import AnswerLog
from tests.bot.conftest import ADMIN, RunningApp, at_once, mention, started_replicas
from tests.bot.slack_stub import SlackStub
from tests.bot.test_following import ORION_NEWS, add_orion_source, blocks_text, client_for

ORION_QUESTION = "Orion 的训练已经完成了吗？"
OTHER_QUESTION = "为什么 Opus 3.5 没有发布？"


def post_ts(stub: SlackStub, *stamps: str) -> None:
    """The ts of the next chat.postMessage calls, in order."""
    for ts in stamps:
        stub.scripted["chat.postMessage"].append((200, {}, {"ok": True, "ts": ts}))


def ask(running: RunningApp, question: str, ts: str, posted_ts: str, n: int) -> None:
    """Ask in channel C1; returns once the answer is posted and its ts recorded."""
    post_ts(running.stub, posted_ts)
    running.event(mention(question, ts=ts), event_id=f"EvAsk{ts}")
    running.stub.wait_for("chat.postMessage", count=n)
    deadline = time.monotonic() + 10
    while posted_ts not in {row.message_ts for row in logged(running.services)}:
        assert time.monotonic() < deadline, f"answer {posted_ts} never recorded"
        time.sleep(0.05)


def logged(services: Services) -> list[AnswerLog]:
    with services.sessions() as session:
        return list(session.scalars(select(AnswerLog).order_by(AnswerLog.id)))


def posted_answer(services: Services, question: str, ts: str) -> int:
    """An answer logged as posted in C1 at `ts`, under the question's thread."""
    answer = services.answers.ask(question).to_json()
    answer_id = services.records.log_answer(
        surface="mention",
        user_id="UASKER",
        channel_id="C1",
        question=question,
        answer=answer,
        thread_ts=ts + "0",
    )
    services.records.mark_posted(answer_id, "C1", ts)
    return answer_id


def test_a_reload_corrects_the_answer_it_changed_and_tells_its_asker_once(
    running: RunningApp, corpus_dir: Path
) -> None:
    stub = running.stub
    ask(running, ORION_QUESTION, ts="100.1", posted_ts="100.2", n=1)
    ask(running, OTHER_QUESTION, ts="200.1", posted_ts="200.2", n=2)
    before = {row.message_ts: row.answer_json for row in logged(running.services)}

    add_orion_source(corpus_dir)
    running.command("reload", user_id=ADMIN)
    (report,) = stub.wait_for(f"response/{ADMIN}", timeout=60)
    assert "1 past answer changed; updating them" in report["text"]

    (update,) = stub.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == ("C1", "100.2")
    shown = blocks_text(update)
    assert "Updated " in shown and "after a corpus change" in shown
    assert "Orion 的新消息, Example Wire, 2026-11-20" in shown
    assert ORION_NEWS in shown
    assert "feedback_buttons" in shown  # the corrected answer keeps its buttons
    told = stub.wait_for("chat.postMessage", count=3)[2]
    assert told["thread_ts"] == "100.1" and told["text"].startswith("<@UASKER> ")
    assert ORION_QUESTION in told["text"]

    rows = {row.message_ts: row for row in logged(running.services)}
    corrected = rows["100.2"]
    assert corrected.corpus_version == 2 and len(corrected.revisions or []) == 1
    assert corrected.answer_json != before["100.2"]
    assert rows["200.2"].answer_json == before["200.2"] and rows["200.2"].revisions is None

    # Another reload with nothing changed, and any later sweep: nothing more.
    running.command("reload", user_id=ADMIN)
    stub.wait_for(f"response/{ADMIN}", count=2, timeout=60)
    assert running.services.corrections.deliver(running.app.client) == []
    assert stub.count("chat.update") == 1 and stub.count("chat.postMessage") == 3


def test_a_message_slack_cannot_find_is_recorded_and_not_retried(
    running: RunningApp, corpus_dir: Path
) -> None:
    stub = running.stub
    ask(running, ORION_QUESTION, ts="100.1", posted_ts="100.2", n=1)
    ask(running, "Orion 的训练完成了吗", ts="300.1", posted_ts="300.2", n=2)
    stub.scripted["chat.update"].append((200, {}, {"ok": False, "error": "message_not_found"}))

    services = running.services
    add_orion_source(corpus_dir)
    services.answers.reload("test")
    client = client_for(services)
    services.corrections.pace = 0
    made = services.corrections.deliver(client)

    assert [c.logged.message_ts for c in made] == ["300.2"]  # the rest went on
    assert stub.count("chat.update") == 2
    first, second = (str(row.id) for row in logged(services))
    version = services.answers.snapshot.version
    assert services.notifications.status(KIND, version, first) == "failed"
    assert services.notifications.status(KIND, version, second) == "posted"
    assert services.corrections.deliver(client) == []
    assert stub.count("chat.update") == 2


def test_private_answers_are_skipped_and_said_so(running: RunningApp, corpus_dir: Path) -> None:
    running.command(f"ask {ORION_QUESTION}")
    running.stub.wait_for("response/UASKER", timeout=30)
    services = running.services
    add_orion_source(corpus_dir)
    services.answers.reload("test")
    plan = services.corrections.plan(services.answers.snapshot.version)
    assert plan.checked == 1 and not plan.corrections
    assert plan.skipped == {"private /rumor ask answers": 1}
    assert "(not editable: 1 private /rumor ask answers)" in plan.summary()


def test_recheck_off_edits_nothing(running: RunningApp, corpus_dir: Path) -> None:
    ask(running, ORION_QUESTION, ts="100.1", posted_ts="100.2", n=1)
    running.services.settings.recheck = False
    add_orion_source(corpus_dir)
    running.command("reload", user_id=ADMIN)
    (report,) = running.stub.wait_for(f"response/{ADMIN}", timeout=60)
    assert "past answer" not in report["text"]
    assert running.services.corrections.deliver(running.app.client) == []
    assert running.stub.count("chat.update") == 0


def test_a_latest_question_opens_with_the_newest_date(running: RunningApp) -> None:
    ask(running, "Orion 最新进展？", ts="400.1", posted_ts="400.2", n=1)
    (posted,) = running.stub.calls["chat.postMessage"]
    blocks = json.loads(posted["blocks"]) if isinstance(posted["blocks"], str) else posted["blocks"]
    shown = json.dumps(blocks[:3], ensure_ascii=False)
    assert "Newest source on this: " in shown and "nothing newer in the corpus" in shown


def test_a_correction_is_claimed_once_across_replicas(
    tmp_path: Path, corpus_dir: Path, stub: SlackStub, db_url: str
) -> None:
    replicas = started_replicas(tmp_path, corpus_dir, stub.url, db_url)
    for replica in replicas:
        replica.corrections.pace = 0
    a, b = replicas
    posted_answer(a, ORION_QUESTION, "1.2")
    add_orion_source(corpus_dir)
    a.answers.reload("test")
    assert b.answers.refresh()

    made = at_once(lambda r: len(r.corrections.deliver(client_for(r))), replicas)
    assert sorted(made) == [0, 1]
    assert stub.count("chat.update") == 1 and stub.count("chat.postMessage") == 1


def test_rate_limits_and_server_errors_are_retried_within_bounds(
    services: Services, stub: SlackStub, corpus_dir: Path
) -> None:
    services.corrections.pace = 0
    posted_answer(services, ORION_QUESTION, "1.2")
    add_orion_source(corpus_dir)
    services.answers.reload("test")
    client = client_for(services)
    version = services.answers.snapshot.version
    # A 429 is waited out (Retry-After) by the client; then Slack failing more often than the
    # client retries leaves the edit for the next sweep, which makes it.
    stub.scripted["chat.update"].append((429, {"Retry-After": "1"}, {"ok": False}))
    stub.scripted["chat.update"] += [(503, {}, {"ok": False})] * 4
    assert services.corrections.deliver(client) == []
    assert services.notifications.status(KIND, version, "1") == "retry"
    (made,) = services.corrections.deliver(client)
    assert made.logged.message_ts == "1.2"
    assert services.notifications.status(KIND, version, "1") == "posted"
    assert stub.count("chat.update") == 5 + 1
