"""The timeline's picture: a real PNG of a readable size, labelled only with English that
passed the guard, Chinese names in Latin letters; and the timeline's entries carrying that
English from the real engine."""

from __future__ import annotations

import struct
from datetime import date

from bot.charts import dot_label, short_name, timeline_png
from bot.services import Services
from retrieval.answers.timeline import TimelineEntry
from retrieval.text.romanize import latin_name
from tests.bot.test_english import translate_all


def entry(source: str, when: date | None, english: str | None = None, **extra) -> TimelineEntry:
    fields = {
        "published": when,
        "source_file": source,
        "title": "GPT-5难产内幕曝光",
        "outlet": "AI范儿",
        "tier": "report",
        "origin": None,
        "quote": "训练不顺利。",
        "passage_id": f"{source}#{when}#{english}",
        "english": english,
    }
    return TimelineEntry(**{**fields, **extra})  # type: ignore[arg-type]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_a_dot_says_only_checked_english() -> None:
    checked = entry("a", date(2025, 8, 3), "Training went badly.")
    unchecked = entry("a", date(2025, 8, 3))
    assert dot_label([checked]) == "“Training went badly.”"
    assert dot_label([unchecked, unchecked]) == "(no checked English yet: see the list)"
    both = dot_label([checked, unchecked, unchecked])
    assert both.startswith("“Training went badly.”") and "+2 more passage(s)" in both
    # English that still holds Chinese is not drawn: the chart's font has no glyphs for it.
    assert "训练" not in dot_label([entry("a", date(2025, 8, 3), "训练 went badly.")])


def test_dollar_signs_are_money_not_mathtext() -> None:
    said = [entry("a", date(2025, 1, 2), "It raised $6.6 billion at a {x$ valuation.", outlet="$$")]
    assert png_size(timeline_png("GPT-5 $", said) or b"")[0] > 1000


def test_chinese_names_are_drawn_in_latin_letters() -> None:
    assert latin_name("最佳拍档") == "Best Partners"  # the glossary's English name
    assert latin_name("AI范儿") == "AI Fanr" and latin_name("cnBeta") == "cnBeta"
    assert short_name(entry("a", None)) == "AI Fanr"
    assert short_name(entry("a", None, outlet=None)) == latin_name("GPT-5难产内幕曝光")


def test_the_picture_is_a_png_a_teammate_can_read() -> None:
    entries = [
        entry("a", date(2023, 6, 8), "OpenAI has not started training GPT-5."),
        entry("b", date(2024, 5, 1), None, outlet="AI PM 编辑部", tier="analysis"),
        entry("c", date(2025, 8, 3), "The Information reported problems.", outlet="cnBeta"),
        entry("c", date(2025, 8, 3), None, outlet="cnBeta"),
        entry("d", None, "Undated.", outlet="最佳拍档", tier="retelling"),
    ]
    width, height = png_size(timeline_png("GPT-5", entries) or b"")
    assert 1200 <= width <= 1600 and 300 <= height <= 1000  # four rows, the undated one last
    more = [entry(f"s{i}", date(2024, i, 1), "Said something.") for i in range(1, 9)]
    assert png_size(timeline_png("GPT-5", more) or b"")[1] > height  # a row per source
    assert timeline_png("GPT-5", [entry("d", None)]) is None  # nothing dated to draw


def test_timeline_entries_carry_the_english_that_passed(services: Services) -> None:
    before = services.answers.timeline("GPT-5")
    assert before and all(e.english is None for e in before)
    translate_all(services)
    after = services.answers.timeline("GPT-5")
    assert [e.passage_id for e in after] == [e.passage_id for e in before]
    assert all(e.english and e.english.startswith("[EN ") for e in after)
    assert timeline_png("GPT-5", after) is not None
