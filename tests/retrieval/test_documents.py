"""Parsing every seed shape: metadata extracted from the files themselves, and clean text."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from retrieval.corpus.documents import SkipFile, parse_document, read_text
from retrieval.corpus.passages import build_passages, sentences

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def parse(prefix: str):
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return parse_document(path.name, read_text(path, 10**7))


def all_text(doc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def test_plain_text_with_byline() -> None:
    doc = parse("000")
    assert doc.shape == "text"
    assert doc.meta["title"] == "一个叫 GPT‑2 的神秘模型,为什么让整个 AI 圈开始猜 GPT‑5"
    assert doc.meta["outlet"] == "AI PM 编辑部"
    assert doc.meta["published"] == date(2024, 5, 1)
    text = all_text(doc)
    for debris in ("正在加载视频", "视频章节", "关键词", "事实核查备注", "3 阅读"):
        assert debris not in text
    headings = [b.text for b in doc.blocks if b.is_heading]
    assert "OpenAI 沉默的一天,AI 圈却炸了" in headings


def test_markdown_with_front_matter() -> None:
    doc = parse("001")
    assert doc.meta["title"] == "OpenAI‘泄露’的 GPT2 模型让所有人震惊。"
    assert doc.meta["author"] == "Rifx.Online"
    assert doc.meta["published"] == date(2024, 11, 1)
    text = all_text(doc)
    assert "3.739" in text and "Step-by-Step" in text and "Q*" in text
    assert "\\" not in text
    assert "![](" not in text and "](http" not in text
    # Link text survives, its markup does not.
    assert "它在解析JSON方面也绝对出色" in text
    # The newsletter advertisement in the middle is gone.
    assert "TheTechOasis" not in text and "订阅" not in text


def test_transcript_is_grouped_into_readable_passages() -> None:
    doc = parse("002")
    assert doc.shape == "transcript"
    passages = build_passages(doc, "002")
    lengths = [len(p.text) for p in passages]
    assert all(100 <= n <= 320 for n in lengths[:-1]), lengths
    assert "本视频由AI播报" not in " ".join(p.text for p in passages)


def test_html_body() -> None:
    doc = parse("003")
    assert doc.shape == "html"
    assert doc.meta["title"] == "GPT-5难产内幕曝光：核心团队遭挖空，推理魔咒难破"
    assert doc.meta["published"] == date(2025, 8, 3)
    text = all_text(doc)
    assert "<" not in text and "&nbsp;" not in text and "&amp;" not in text
    assert "theinformation.com/articles" not in text  # the references block
    assert "降级成GPT-4.5" in text


def test_wechat_export() -> None:
    doc = parse("004")
    assert doc.meta["title"].startswith("OpenAI CEO大爆料：GPT-5的预训练还没有启动")
    assert doc.meta["author"] == "AI范儿"
    assert doc.meta["published"] == date(2023, 6, 8)
    assert doc.meta["url"].startswith("http://mp.weixin.qq.com/s?")
    text = all_text(doc)
    for boilerplate in ("扫码加群", "AI范儿读者群", "mmbiz.qpic.cn", "文章作者", "关注、标星"):
        assert boilerplate not in text
    assert "\nEND\n" not in f"\n{text}\n"
    # The English quote and its translation both stay.
    assert "We have a lot of work to do before we start that model" in text
    assert "在启动该模型之前，我们还有很多工作要做" in text


def test_repeated_intro_is_dropped() -> None:
    passages = build_passages(parse("000"), "000")
    intros = [p for p in passages if p.text.startswith("它的名字叫 GPT‑2")]
    assert len(intros) == 1


def test_near_duplicates_are_dropped() -> None:
    text = (
        "Title line\n\n"
        "OpenAI has not started training GPT-5, Altman said at a conference in India this week.\n\n"
        "OpenAI has not started training GPT-5, Altman said at a conference in India this week!\n\n"
        "Something else entirely that is long enough to be a passage of its own here.\n"
    )
    passages = build_passages(parse_document("x.txt", text), "x.txt")
    assert [p.text[:9] for p in passages] == ["OpenAI ha", "Something"]


def test_file_without_metadata_is_titled_from_first_line() -> None:
    doc = parse_document(
        "y.txt", "A first line\n\nThen a paragraph long enough to be quoted on its own.\n"
    )
    assert doc.meta["title"] == "A first line"


def test_long_paragraph_splits_on_sentence_ends() -> None:
    body = "".join(
        f"这是第{n}个用来测试切分的句子，它讲的是第{n * 7}号模型的传闻。" for n in range(20)
    )
    passages = build_passages(parse_document("z.txt", f"标题\n\n{body}\n"), "z.txt")
    assert len(passages) > 1
    assert all(len(p.text) <= 360 and p.text.endswith("。") for p in passages)
    assert "".join(p.text for p in passages) == body


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\xff\xfe\xfa\xfb" * 50, "not valid UTF-8"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(SkipFile, match=reason):
        read_text(path, 10**6)


def test_gb18030_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("标题\n\n这是用 GB18030 编码的中文文章，内容足够长。".encode("gb18030"))
    assert "GB18030 编码" in read_text(path, 10**6)


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("长" * 1000)
    with pytest.raises(SkipFile, match="cap"):
        read_text(path, 100)


def test_malformed_front_matter_keeps_the_body() -> None:
    text = "---\ntitle: [unclosed\n---\n\nThe body is still here and long enough to be a passage.\n"
    doc = parse_document("m.md", text)
    assert any("malformed front matter" in w for w in doc.warnings)
    assert "The body is still here" in all_text(doc)


def _squashed_source(raw: str) -> str:
    """A source file as its words appear, markup aside: what every quote must be cut from."""
    if "<p" in raw:  # an HTML page: its text
        return squash(html.unescape(BeautifulSoup(raw, "html.parser").get_text("")))
    text = re.sub(r"(?m)^\s*(>\s?)+", "", raw)  # blockquote markers
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\*\*|\\(?=[\\`*_{}\[\]()#+\-.!|>~])", "", text)
    text = re.sub(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*", r"\1", text)  # *emphasis*, per line
    return squash(text)


def squash(text: str) -> str:
    """Without white space and underscores (emphasis markers in the files, never content)."""
    return re.sub(r"[\s_]+", "", text)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_every_passage_is_verbatim_from_its_source(path: Path) -> None:
    raw = read_text(path, 10**7)
    source = _squashed_source(raw)
    for passage in build_passages(parse_document(path.name, raw), path.name):
        # Paragraphs of a passage may be apart in the file (an image or a tweet between).
        for paragraph in passage.text.split("\n"):
            for sentence in sentences(paragraph):
                assert squash(sentence) in source, (path.name, sentence)


def test_a_lone_asterisk_is_text_and_emphasis_is_markup() -> None:
    text = (
        "# T\n\n第二派：Runway CEO 提到的“Q* 搜索 + GPT‑4 知识”，这是**重点**，_也是_ *强调* 的。\n"
    )
    (passage,) = build_passages(parse_document("q.md", text), "q.md")
    assert "“Q* 搜索 + GPT‑4 知识”" in passage.text
    assert "**" not in passage.text and "重点" in passage.text and "_也是_" not in passage.text
