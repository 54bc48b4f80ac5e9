"""Rendering: escaping of corpus and user text, Slack's limits, citations."""

from __future__ import annotations

import json

import yaml

from bot.blocks import answer_blocks, citation, quote_text
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


def test_limits_hold_for_huge_passages() -> None:
    blocks = answer_blocks(answer([passage("长" * 10_000)] * 5, question="q" * 5000), answer_id=1)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


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
        "message.im",
    }
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
