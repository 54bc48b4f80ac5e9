"""Rendering: escaping of corpus and user text, Slack's limits, citations."""

from __future__ import annotations

import json

import yaml

from bot.blocks import answer_blocks
from bot.blocks.quotes import citation, cut_at_sentence, english_text, quote_text
from bot.text import clean_text, escape_mrkdwn, slack_to_plain


def passage(text: str, **extra) -> dict:
    return {
        "source_file": "003.txt",
        "title": "T <b>",
        "outlet": "cnBeta",
        "author": None,
        "published": "2025-08-03",
        "url": "https://example.com/a?b=1|c>d",
        "kind": "report",
        "text": text,
        "highlight": "",
        "score": 1.0,
        **extra,
    }


def answer(passages: list[dict], question: str = "q") -> dict:
    return {
        "question": question,
        "confidence": "high",
        "reason": "2 sources agree",
        "corpus_version": 3,
        "as_of": "2025-08-03",
        "passages": passages,
    }


def test_corpus_text_cannot_ping_or_forge_links() -> None:
    hostile = "Read <!channel> and <@U123> at <https://evil.example|the official site> & more"
    rendered = json.dumps(answer_blocks(answer([passage(hostile)])))
    for forged in ("<!channel>", "<@U123>", "<https://evil.example|"):
        assert forged not in rendered
    assert "&lt;!channel&gt;" in rendered and "&amp; more" in rendered


def test_highlight_is_bold_and_text_is_verbatim() -> None:
    text = "第一句。关键的一句。最后一句。"
    quoted = quote_text(passage(text, highlight="关键的一句。"))
    assert quoted == "> 第一句。*关键的一句。*最后一句。"


def test_citation_link_cannot_be_broken_out_of() -> None:
    cited = citation(1, passage("x"))
    assert cited.startswith("[1] <https://example.com/a?b=1%7Cc&gt;d|T &lt;b&gt;>")
    assert "(report)" in cited and "2025-08-03" in cited


def test_citations_are_numbered_by_source() -> None:
    a = {"source_file": "003.txt", "title": "The Information on Orion"}
    b = {"source_file": "000.txt", "title": "Why GPT-5 is late", "published": "2024-12-01"}
    passages = [passage("一。", **a), passage("二。", **b), passage("三。", **a)]
    blocks = answer_blocks(answer(passages))
    quotes = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert [q.split("[")[-1].split("]")[0] for q in quotes] == ["1", "2", "1"]
    assert "_2024-12-01_" in quotes[1]  # each quote shows its date
    (cited,) = [b for b in blocks if b["type"] == "context" and "[1]" in json.dumps(b)]
    lines = cited["elements"][0]["text"].split("\n")
    assert len(lines) == 2 and lines[0].startswith("[1]") and lines[1].startswith("[2]")
    assert "The Information on Orion" in lines[0] and "Why GPT-5 is late" in lines[1]


def test_limits_hold_for_huge_passages() -> None:
    blocks = answer_blocks(answer([passage("长" * 10_000)] * 5, question="q" * 5000), answer_id=1)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def test_english_rendering_under_a_quote() -> None:
    p = passage(
        "第一句。关键的一句。",
        english="First sentence. The <key> sentence.",
        english_highlight="The <key> sentence.",
        english_checked=True,
    )
    assert english_text(p, True) == "_First sentence. *The &lt;key&gt; sentence.*_"
    unchecked = english_text({**p, "english_checked": False}, True)
    assert unchecked is not None and ":warning:" in unchecked and "not shown" in unchecked
    assert english_text({**p, "english": None}, True) == "_(English translation pending)_"
    assert english_text({**p, "english": None}, False) is None


def test_english_is_cut_at_a_sentence_end_never_mid_word() -> None:
    first = "A first sentence, long enough to be worth keeping on its own here."
    text = f"{first} " + "word " * 400
    assert cut_at_sentence(text, 200) == f"{first} …"
    long_words = "supercalifragilistic " * 50
    cut = cut_at_sentence(long_words, 100)
    assert cut.endswith(" …") and "supercalifragilistic …" in cut and len(cut) <= 100


def test_english_answers_keep_slacks_limits() -> None:
    huge = passage("长" * 10_000, english="Long sentence. " * 800, english_checked=False)
    blocks = answer_blocks(answer([huge] * 5, question="why " * 500), answer_id=1)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert ":warning:" in block["text"]["text"] or "[" not in block["text"]["text"][-5:]


def test_chinese_questions_get_english_only_on_request() -> None:
    p = passage("第一句。", english="First.", english_checked=True)
    chinese = json.dumps(answer_blocks(answer([p], question="为什么?"), answer_id=7))
    assert "First." not in chinese and "show_english" in chinese
    shown = json.dumps(answer_blocks(answer([p], question="为什么?"), answer_id=7, english=True))
    assert "First." in shown and "show_chinese" in shown


def test_text_helpers() -> None:
    assert escape_mrkdwn("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert (
        slack_to_plain("<@U1> hi <#C1|general> <http://x|y> <!here> 1 &lt; 2")
        == " hi #general y  1 < 2"
    )
    assert clean_text("a\x00b\x1bc\ud800 d   e", limit=5) == "abc d"


def test_manifest_declares_what_the_app_uses() -> None:
    from pathlib import Path

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == "/rumor"
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "app_home_opened",
        "message.im",
        "message.channels",
        "message.groups",
        "assistant_thread_started",
        "assistant_thread_context_changed",
    }
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history"} <= scopes
    assert {"channels:read", "groups:read"} <= scopes  # App Home: users.conversations
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert {"assistant:write", "reactions:write"} <= scopes
    assert len(manifest["features"]["assistant_view"]["suggested_prompts"]) == 3
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "check_rumour")
