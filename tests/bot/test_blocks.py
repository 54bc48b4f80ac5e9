"""Rendering as Slack shows it: quotes in rich text with their key sentence bold, nothing
against Chinese that Slack would print as a literal marker, escaping of corpus and user text,
Slack's limits, citations, the native feedback buttons."""

from __future__ import annotations

import json
from datetime import date

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks import FEEDBACK_ACTION, answer_blocks, home_blocks, timeline_blocks
from bot.blocks.base import strong
from bot.blocks.quotes import PENDING_NOTE, UNCHECKED_NOTE, citation, cut_at_sentence, quote_block
from bot.text import clean_text, escape_mrkdwn, slack_to_plain
from retrieval.answers.timeline import TimelineEntry
from retrieval.corpus.store import SourceInfo
from retrieval.text.tokens import has_cjk
from tests.bot.rendering import MARKER_BY_CJK, mrkdwn_texts, shown_quotes


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


HOSTILE = "Read <!channel> and <@U123> at <https://evil.example|the official site> & more"


def test_corpus_text_cannot_ping_or_forge_links() -> None:
    blocks = answer_blocks(answer([passage(f"第一句。{HOSTILE}。", highlight="第一句。")]))
    for text in mrkdwn_texts(blocks):
        for forged in ("<!channel>", "<@U123>", "<https://evil.example|"):
            assert forged not in text
    (quote,) = shown_quotes(blocks)
    # Plain rich-text elements: shown literally, no mention, link or broadcast element.
    assert HOSTILE in quote.text and "<link>" not in quote.text
    assert not {"user", "broadcast", "link", "channel"} & {
        e["type"]
        for b in blocks
        if b["type"] == "rich_text"
        for p in b["elements"]
        for e in p["elements"]
    }


def test_highlight_is_bold_and_text_is_verbatim() -> None:
    text = "第一句。关键的一句。最后一句。"
    (quote,) = shown_quotes([quote_block(passage(text, highlight="关键的一句。"))])
    assert quote.text == text and quote.bold == ["关键的一句。"]


CHINESE = "据The Information报道，GPT-5的训练*不顺利*。_奥特曼_表示，Orion要推迟到明年。最后一句。"


@pytest.mark.parametrize(
    "question",
    [
        "why was Orion delayed?",
        "为什么 Orion 推迟了？",
        "<!here> is *GPT-5* _late_? <@U999> <https://x.example|see>",
    ],
)
def test_answers_read_right_in_slack(question: str) -> None:
    """What Slack shows: the key sentence bold as a rich-text element (Chinese and English),
    no mrkdwn marker against a CJK character anywhere, hostile text literal, and blocks that
    slack_sdk's validators take unchanged."""
    chinese_title = passage(
        CHINESE,
        highlight="奥特曼_表示，Orion要推迟到明年。",
        title="GPT-5难产内幕曝光",
        url=None,
        english="According to The Information, GPT-5's training went badly. Altman said Orion "
        "is delayed to next year.",
        english_highlight="Altman said Orion is delayed to next year.",
        english_checked=True,
    )
    hostile = passage(f"{HOSTILE}。关键。", highlight="关键。", source_file="000.txt")
    blocks = answer_blocks(answer([chinese_title, hostile], question=question), answer_id=5)
    first, second = shown_quotes(blocks)
    assert first.bold == ["奥特曼_表示，Orion要推迟到明年。"] and CHINESE in first.text
    if not has_cjk(question):
        assert first.english_italic and first.english_bold == [
            "Altman said Orion is delayed to next year."
        ]
    assert HOSTILE in second.text
    for text in mrkdwn_texts(blocks):
        assert not MARKER_BY_CJK.search(text), text
        assert "<!here>" not in text and "<@U999>" not in text
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block, block["type"]


def test_bold_in_mrkdwn_never_touches_chinese() -> None:
    assert strong("Orion") == "*Orion*"
    assert strong("GPT-5难产") == "*“GPT-5难产”*" and not MARKER_BY_CJK.search(strong("难产"))
    cited = citation(1, passage("x", title="GPT-5难产内幕曝光", url=None))
    assert not MARKER_BY_CJK.search(cited) and "GPT-5难产内幕曝光" in cited


def test_citation_link_cannot_be_broken_out_of() -> None:
    cited = citation(1, passage("x"))
    assert cited.startswith("[1] <https://example.com/a?b=1%7Cc&gt;d|T &lt;b&gt;>")
    assert "(report)" in cited and "2025-08-03" in cited


def test_citations_are_numbered_by_source() -> None:
    a = {"source_file": "003.txt", "title": "The Information on Orion"}
    b = {"source_file": "000.txt", "title": "Why GPT-5 is late", "published": "2024-12-01"}
    passages = [passage("一。", **a), passage("二。", **b), passage("三。", **a)]
    blocks = answer_blocks(answer(passages))
    quotes = [q.text for q in shown_quotes(blocks)]
    assert [q.split("[")[-1].split("]")[0] for q in quotes] == ["1", "2", "1"]
    assert quotes[1].endswith("2024-12-01")  # each quote shows its date
    (cited,) = [b for b in blocks if b["type"] == "context" and "[1]" in json.dumps(b)]
    lines = cited["elements"][0]["text"].split("\n")
    assert len(lines) == 2 and lines[0].startswith("[1]") and lines[1].startswith("[2]")
    assert "The Information on Orion" in lines[0] and "Why GPT-5 is late" in lines[1]


def test_limits_hold_for_huge_passages() -> None:
    huge = passage("长" * 10_000, english="Long sentence. " * 800, english_checked=False)
    blocks = answer_blocks(answer([huge] * 5, question="why " * 500), answer_id=1)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    for quote in shown_quotes(blocks):
        assert len(quote.text) <= 2600 and len(quote.english) <= 1500
        assert quote.notes == [":warning: " + UNCHECKED_NOTE]


def test_english_rendering_under_a_quote() -> None:
    p = passage(
        "第一句。关键的一句。",
        english="First sentence.  The <key> sentence.",
        english_highlight="The <key> sentence.",
        english_checked=True,
    )
    (quote,) = shown_quotes([quote_block(p, english=True, translations_on=True)])
    assert quote.english == "First sentence. The <key> sentence." and quote.english_italic
    assert quote.english_bold == ["The <key> sentence."] and not quote.notes
    (unchecked,) = shown_quotes([quote_block({**p, "english_checked": False}, english=True)])
    assert unchecked.notes == [":warning: " + UNCHECKED_NOTE]
    pending = quote_block({**p, "english": None}, english=True, translations_on=True)
    assert shown_quotes([pending])[0].english == PENDING_NOTE
    assert shown_quotes([quote_block({**p, "english": None}, english=True)])[0].english == ""


def test_withheld_english_is_marked_apart_from_the_translation() -> None:
    gap = "[no reliable English for this part; terms: Bloomberg]"
    p = passage(
        "第一句。关键的一句。",
        english=f"{gap} The key sentence.",
        english_highlight=f"{gap} The key sentence.",
        english_checked=False,
    )
    (quote,) = shown_quotes([quote_block(p, english=True)])
    assert quote.english_code == [gap] and quote.english_bold == [" The key sentence."]
    assert quote.english == f"{gap} The key sentence."


def test_english_is_cut_at_a_sentence_end_never_mid_word() -> None:
    first = "A first sentence, long enough to be worth keeping on its own here."
    text = f"{first} " + "word " * 400
    assert cut_at_sentence(text, 200) == f"{first} …"
    long_words = "supercalifragilistic " * 50
    cut = cut_at_sentence(long_words, 100)
    assert cut.endswith(" …") and "supercalifragilistic …" in cut and len(cut) <= 100


def test_chinese_questions_get_english_only_on_request() -> None:
    p = passage("第一句。", english="First.", english_checked=True)
    chinese = json.dumps(answer_blocks(answer([p], question="为什么?"), answer_id=7))
    assert "First." not in chinese and "show_english" in chinese
    shown = json.dumps(answer_blocks(answer([p], question="为什么?"), answer_id=7, english=True))
    assert "First." in shown and "show_chinese" in shown


def test_answers_carry_slacks_feedback_buttons() -> None:
    blocks = answer_blocks(answer([passage("一。")]), answer_id=42)
    (feedback,) = [b for b in blocks if b["type"] == "context_actions"]
    (buttons,) = feedback["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == FEEDBACK_ACTION
    values = (buttons["positive_button"]["value"], buttons["negative_button"]["value"])
    assert values == ("up:42", "down:42")
    assert not [b for b in answer_blocks(answer([passage("一。")])) if "feedback" in str(b)]


def test_every_surface_that_quotes_reads_right() -> None:
    """Digests, timelines and App Home: the same quotes, no marker against Chinese."""
    entry = TimelineEntry(
        published=date(2025, 8, 3),
        source_file="003.txt",
        title="GPT-5难产内幕曝光",
        outlet="cnBeta",
        tier="report",
        origin=None,
        quote=f"{HOSTILE}，训练不顺利。",
        passage_id="p1",
    )
    timeline = timeline_blocks("GPT-5难产", [entry])
    source = SourceInfo(
        id="003.txt",
        title="GPT-5难产内幕曝光",
        outlet="AI范儿",
        author=None,
        url=None,
        published=date(2025, 8, 3),
        language="zh",
        kind="report",
        passage_count=3,
        tier="report",
    )
    home = home_blocks(None, [source], {}, [])
    for blocks in (timeline, home):
        for text in mrkdwn_texts(blocks):
            assert not MARKER_BY_CJK.search(text), text
        for block in blocks:
            assert Block.parse(block) is not None
    (quote,) = shown_quotes(timeline)
    assert quote.text == entry.quote


def test_text_helpers() -> None:
    assert escape_mrkdwn("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert (
        slack_to_plain("<@U1> hi <#C1|general> <http://x|y> <!here> 1 &lt; 2")
        == " hi #general y  1 < 2"
    )
    assert clean_text("a\x00b\x1bc\ud800 d   e", limit=5) == "abc d"
