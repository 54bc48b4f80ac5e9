"""The `rumorbot` command line, run as a user runs it (a subprocess, the embedded SQLite)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def rumorbot(*args: str, env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def env(process_env: dict[str, str]) -> dict[str, str]:
    return process_env


def test_ingest_twice_and_list_sources(env: dict[str, str]) -> None:
    first = rumorbot("ingest", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("added") == 5
    second = rumorbot("ingest", env=env)
    assert "No changes" in second.stdout
    listing = rumorbot("sources", env=env)
    assert "GPT-5难产内幕曝光" in listing.stdout and "2025-08-03" in listing.stdout
    assert "Corpus version 1" in listing.stdout


def test_ask_json_from_stdin_in_order(env: dict[str, str]) -> None:
    result = rumorbot(
        "ask", "--json", env=env, stdin="Orion 为什么失败？\n\nWhen will GPT-7 be released?\n"
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["Orion 为什么失败？", "When will GPT-7 be released?"]
    first, second = rows
    assert first["confidence"] in {"high", "medium", "low"}
    passage = first["passages"][0]
    assert set(passage) >= {"source_file", "title", "outlet", "published", "url", "text", "score"}
    assert passage["source_file"].endswith(".txt")
    assert "total" in first["timings_ms"]
    assert second["confidence"] == "none" and second["passages"] == []


def test_ask_text_and_eval(env: dict[str, str], tmp_path: Path) -> None:
    result = rumorbot("ask", "什么是通用验证器？", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[") and "Corpus version" in result.stdout
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "什么是通用验证器？", "doc": "003", "gold": ["通用验证器"]}\n'
        '{"question": "When will GPT-7 be released?", "doc": "none", "gold": []}\n'
    )
    scored = rumorbot("eval", str(questions), "--json", env=env)
    metrics = json.loads(scored.stdout)
    assert metrics["answerable"] == 1 and metrics["unanswerable_labelled_low_or_none"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert rumorbot("eval", str(bad), env=env).returncode == 2


def test_secrets_never_reach_the_output(env: dict[str, str]) -> None:
    secret = "xoxb-very-secret-token-value"
    result = rumorbot("-v", "sources", env={**env, "SLACK_BOT_TOKEN": secret})
    assert secret not in result.stdout + result.stderr


def test_setup_model_prepares_the_model_folder(env: dict[str, str], tmp_path: Path) -> None:
    # What an image build runs, so a container never writes to its (read-only) model folder.
    model_dir = tmp_path / "models"
    result = rumorbot("setup-model", env={**env, "RUMORBOT_MODEL_DIR": str(model_dir)})
    assert result.returncode == 0, result.stderr
    assert "ready under" in result.stdout
    assert list(model_dir.glob("cedict-reverse-*.json"))


def test_translate_then_ask_shows_english_under_every_quote(env: dict[str, str]) -> None:
    before = rumorbot("ask", "--json", "why was Opus 3.5 not released?", env=env)
    answer = json.loads(before.stdout)
    assert answer["translations"] == "on"
    assert all(p["english"] is None and p["english_checked"] is None for p in answer["passages"])
    first = rumorbot("translate", "--quiet", env=env)
    assert first.returncode == 0, first.stderr
    translated = re.search(r"(\d+) translated", first.stdout)
    # Every passage and every title of the corpus.
    assert translated and int(translated.group(1)) > 100 and "s per text" in first.stdout
    again = rumorbot("translate", "--quiet", env=env)
    assert "0 translated" in again.stdout
    assert f"{translated.group(1)} already done" in again.stdout
    after = json.loads(rumorbot("ask", "--json", "why was Opus 3.5 not released?", env=env).stdout)
    for p in after["passages"]:
        assert p["english"] and p["english_checked"] is True
        assert p["english_highlight"] and p["english_highlight"] in p["english"]
    text = rumorbot("ask", "why was Opus 3.5 not released?", env=env).stdout
    assert text.count("    EN: ") == 3 and "machine translation" in text
    chinese = rumorbot("ask", "Opus 3.5 为什么没有发布?", env=env).stdout
    assert "EN: " not in chinese
    listing = rumorbot("sources", env=env).stdout
    assert listing.count("  EN: ") == 5


def test_translator_off_says_nothing_of_english(env: dict[str, str]) -> None:
    off = {**env, "RUMORBOT_TRANSLATOR": "off"}
    answer = json.loads(rumorbot("ask", "--json", "why was Opus 3.5 not released?", env=off).stdout)
    assert answer["translations"] == "off"
    assert "pending" not in rumorbot("ask", "why was Opus 3.5 not released?", env=off).stdout
    assert "off" in rumorbot("translate", env=off).stderr


def test_follow_dry_run_prints_the_digest_and_sends_nothing(
    env: dict[str, str], corpus_dir: Path
) -> None:
    from bot.store.subscriptions import Subscriptions
    from retrieval.db.session import make_engine, session_factory

    assert rumorbot("ingest", env=env).returncode == 0
    database = make_engine(f"sqlite:///{Path(env['RUMORBOT_DATA_DIR']) / 'rumorbot.sqlite3'}")
    Subscriptions(session_factory(database)).follow("C1", "Orion", "U1")
    database.dispose()
    news = "据 Example Wire 报道，Orion 的训练已经在今年秋天完成，并将以新的名字发布。"
    (corpus_dir / "005_orion.md").write_text(f"---\ntitle: Orion 的新消息\n---\n\n{news}\n")
    assert rumorbot("ingest", env=env).returncode == 0
    result = rumorbot("follow", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "Corpus version 2: added 005_orion.md" in result.stdout
    assert "→ channel C1 (not sent)" in result.stdout and f"> {news}" in result.stdout
    assert rumorbot("follow", env=env).returncode == 2  # sending is `serve`'s job


def _records(env: dict[str, str]):
    from bot.store.answers import AnswerRecords
    from retrieval.db.session import make_engine, session_factory

    database = make_engine(f"sqlite:///{Path(env['RUMORBOT_DATA_DIR']) / 'rumorbot.sqlite3'}")
    return AnswerRecords(session_factory(database)), database


def test_recheck_dry_run_shows_what_a_change_alters_and_touches_no_message(
    env: dict[str, str], corpus_dir: Path
) -> None:
    question = "Orion 的训练已经完成了吗？"
    asked = rumorbot("ask", "--json", question, env=env)
    assert asked.returncode == 0, asked.stderr
    records, database = _records(env)
    answer_id = records.log_answer(
        surface="mention",
        user_id="U1",
        channel_id="C1",
        question=question,
        answer=json.loads(asked.stdout),
        thread_ts="1.1",
    )
    records.mark_posted(answer_id, "C1", "1.2")
    database.dispose()
    news = "据 Example Wire 报道，Orion 的训练已经在今年秋天完成，并将以新的名字发布。"
    (corpus_dir / "005_orion.md").write_text(
        f"---\ntitle: Orion 的新消息\noutlet: Example Wire\n---\n\n{news}\n"
    )
    assert rumorbot("ingest", env=env).returncode == 0
    result = rumorbot("recheck", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 past answer changed" in result.stdout
    assert f"#{answer_id} in C1: “{question}”" in result.stdout
    assert "+ Orion 的新消息, Example Wire, undated" in result.stdout
    # Without --dry-run it would edit Slack messages: it needs the bot token.
    assert rumorbot("recheck", env=env).returncode == 2


def test_gaps_lists_weak_answers_grouped(env: dict[str, str]) -> None:
    records, database = _records(env)
    assert rumorbot("ingest", env=env).returncode == 0
    for user in ("U1", "U2", "U2"):  # U2 twice: counted once
        answer = {"confidence": "none", "reason": "r", "passages": []}
        records.log_answer(
            surface="dm", user_id=user, channel_id=None, question="best pizza?", answer=answer
        )
    database.dispose()
    result = rumorbot("gaps", "--json", env=env)
    assert result.returncode == 0, result.stderr
    (gap,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert gap["size"] == 2 and gap["examples"] == ["best pizza?"]


def test_translate_check_runs_the_guard_on_given_renderings(
    env: dict[str, str], tmp_path: Path
) -> None:
    lines = [
        {"chinese": "这一轮融资3亿美元。", "english": "The round raised 300 million dollars."},
        {"chinese": "这一轮融资3亿美元。", "english": "The round raised 3 billion dollars."},
        {"chinese": "GPT-5 已经存在了吗？", "english": "GPT-5 already exists."},
    ]
    given = tmp_path / "renderings.jsonl"
    given.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    result = rumorbot("translate", "--check", str(given), env=env)
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["checked"] for v in verdicts] == [True, False, False]
    assert verdicts[0]["shown"] == lines[0]["english"]
    assert verdicts[1]["shown"] is None and any(
        "300" in p or "3" in p for p in verdicts[1]["problems"]
    )
    assert verdicts[2]["problems"] == ["a question rendered as a statement"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"english": "no chinese"}\n')
    refused = rumorbot("translate", "--check", str(bad), env=env)
    assert refused.returncode == 2 and "bad.jsonl:1" in refused.stderr


def test_ask_can_wait_for_the_english_of_its_quotes(env: dict[str, str]) -> None:
    # Nothing translated before: the shown quotes' passages are translated for this answer.
    result = rumorbot(
        "ask", "--json", "--wait-english", "60", "why was Opus 3.5 not released?", env=env
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    shown = answer["passages"][:3]
    assert all(p["english"] and p["english_checked"] is not None for p in shown)
    assert all(p["english"] is None for p in answer["passages"][3:])  # only what is shown
