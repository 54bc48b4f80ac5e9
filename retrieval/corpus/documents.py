"""Reading corpus files and turning each of their shapes into clean paragraphs.

Shapes handled: plain text with a byline, Markdown (optionally with YAML front matter),
HTML bodies, WeChat exports, and subtitle transcripts (one short phrase per line).
The result keeps headings apart from body text, so a passage can carry its section's
heading as search context without the heading being quoted as if it were evidence.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup


class SkipFile(Exception):
    """The file cannot be ingested; the message says why, in a few words."""


@dataclass(frozen=True)
class Block:
    text: str
    is_heading: bool = False
    is_item: bool = False  # a list item: short and unpunctuated, but content, not a heading


@dataclass
class ParsedDocument:
    file_name: str
    shape: str
    blocks: list[Block]
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


IGNORED_NAME = re.compile(r"(^\.)|(~$)|(\.swp$)|(\.swo$)|(\.bak$)|(\.tmp$)")
MANIFEST_NAME = "sources.toml"


def is_ignored(name: str) -> bool:
    """Hidden files, editor backups and the manifest itself are not documents."""
    return bool(IGNORED_NAME.search(name)) or name == MANIFEST_NAME


# Control characters but line breaks, tabs and form feeds: many of them mean a binary file.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def read_text(path: Path, max_bytes: int) -> str:
    """Read a file as text, or raise SkipFile with the reason."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"file is {size:,} bytes, over the {max_bytes:,}-byte cap")
        raw = path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from exc
    return decode_text(raw)


def decode_text(raw: bytes, charset: str | None = None) -> str:
    """Bytes as text (in `charset` when one is declared, else UTF-8, else GB18030), or
    SkipFile with the reason."""
    if not raw.strip():
        raise SkipFile("empty file")
    if b"\x00" in raw[:8192]:
        raise SkipFile("binary file (NUL bytes)")
    for encoding in (*([charset] if charset else []), "utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        raise SkipFile("not valid UTF-8 or GB18030 text")
    if len(CONTROL.findall(text)) > max(8, len(text) // 100):
        raise SkipFile("binary file (control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- front matter

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str | None]:
    """Return (metadata, body, warning). Malformed front matter is dropped with a warning."""
    if not text.startswith("---"):
        return {}, text, None
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text.removeprefix("---"), "front matter has no closing '---'; ingested the body"
    body = text[match.end() :]
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        return {}, body, f"malformed front matter{where}; ingested the body"
    if not isinstance(meta, dict):
        return {}, body, "front matter is not a mapping; ingested the body"
    return meta, body, None


# ---------------------------------------------------------------- cleaning

# Lines that are page furniture, not content.
DEBRIS_LINES = re.compile(
    r"^(正在加载视频\.{0,3}|视频章节|END|\*\s*\*\s*\*|-{3,}|_{3,}|▽|图｜.*|文｜.*|编译｜.*"
    r"|.{0,6}读者群|扫码加群.*|立变AI.*|.*关注、标星.*|那些prompt了我的.*|是否也prompt了你.*)$"
)
# Paragraphs that advertise or ask for something (newsletters, follows, contact).
PROMO = re.compile(
    r"(订阅|通讯简报|newsletter|subscribe|扫码|关注我|与我联系|期待与你的联系|LinkedIn"
    r"|本视频由AI播报|点赞|转发)",
    re.I,
)
# A trailing section that only lists references or keywords.
TAIL_MARKERS = re.compile(r"^(参考资料|参考|References?|关键词|事实核查备注)\s*[:：]?")
MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
# Emphasis is a pair of markers around text (CommonMark: the opener is followed by, the
# closer preceded by, a non-space; "_" never inside a word). A lone "*" is text: "Q* 搜索".
MD_EMPHASIS = (
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<![A-Za-z0-9])__(?=\S)(.+?)(?<=\S)__(?![A-Za-z0-9])"),
    re.compile(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*"),
    re.compile(r"(?<![A-Za-z0-9])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![A-Za-z0-9])"),
)
BARE_URL = re.compile(r"^\s*(https?://\S+|#?\s*https?://\S+)\s*$")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines: no space between CJK characters, one space between words."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if out and not (CJK.search(out[-1]) or CJK.search(line[0])):
            out += " "
        out += line
    return out


def clean_inline_markdown(text: str) -> str:
    text = MD_IMAGE.sub("", text)
    text = MD_LINK.sub(r"\1", text)
    # Escaped characters are literal ("Q\*"): park them where emphasis removal cannot see them.
    text = MD_ESCAPE.sub(lambda m: chr(0xF0000 + ord(m.group(1))), text)
    for pair in MD_EMPHASIS:
        text = pair.sub(r"\1", text)
    text = re.sub("[\U000f0000-\U000f00ff]", lambda m: chr(ord(m.group()) - 0xF0000), text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def markdown_blocks(body: str) -> list[Block]:
    """Paragraphs and headings of a Markdown (or plain-text) body."""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            text = clean_inline_markdown(join_lines(para))
            if text:
                blocks.append(Block(text))
            para.clear()

    for raw in body.split("\n"):
        line = raw.strip()
        line = re.sub(r"^(>\s*)+", "", line)  # blockquotes keep their text
        if not line:
            flush()
            continue
        heading = re.match(r"^#{1,6}\s*(.*?)\s*#*$", line)
        if heading:
            flush()
            text = clean_inline_markdown(heading.group(1))
            if text:
                blocks.append(Block(text, is_heading=True))
            continue
        bullet = re.match(r"^[*+-]\s+(.*)$", line)
        if bullet and not re.fullmatch(r"[*\s]+", line):
            flush()
            text = clean_inline_markdown(bullet.group(1))
            if text:
                blocks.append(Block(text, is_item=True))
            continue
        para.append(line)
    flush()
    return blocks


def html_blocks(body: str) -> list[Block]:
    """Paragraphs of an HTML body; a paragraph that is wholly bold is a heading."""
    soup = BeautifulSoup(body, "html.parser")
    for tag in soup(["img", "script", "style", "hr"]):
        tag.decompose()
    for link in soup.find_all("a"):
        # A bare "原文链接" anchor is navigation, not content.
        if link.get_text(strip=True) in {"原文链接", "阅读原文"}:
            link.decompose()
    blocks: list[Block] = []
    for element in soup.find_all(["p", "h1", "h2", "h3", "h4", "li"]):
        text = re.sub(r"\s+", " ", html.unescape(element.get_text(" ", strip=True))).strip()
        text = re.sub(
            r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=\S)|(?<=\S) (?=[\u3000-\u9fff\uff00-\uffef])",
            "",
            text,
        )
        if not text:
            continue
        strong = element.find(["strong", "b"])
        is_heading = element.name.startswith("h") or (
            strong is not None and strong.get_text(strip=True) == element.get_text(strip=True)
        )
        blocks.append(Block(text, is_heading=is_heading, is_item=element.name == "li"))
    # Text outside any paragraph tag (the line before the first <div>, say).
    preamble = body.split("<", 1)[0].strip()
    if preamble:
        blocks.insert(0, Block(clean_inline_markdown(join_lines(preamble.split("\n")))))
    return blocks


def looks_like_transcript(body: str) -> bool:
    """Subtitles: many short lines, almost none ending a sentence, few blank lines."""
    lines = [ln.strip() for ln in body.split("\n")]
    text_lines = [ln for ln in lines if ln]
    if len(text_lines) < 30:
        return False
    short = sum(1 for ln in text_lines if len(ln) <= 40)
    ended = sum(1 for ln in text_lines if ln[-1] in "。！？.!?")
    blank = len(lines) - len(text_lines)
    return (
        short / len(text_lines) > 0.9 and ended / len(text_lines) < 0.2 and blank < len(lines) / 5
    )


# ---------------------------------------------------------------- metadata in the text

BYLINE = re.compile(r"^(?P<who>[^·]{1,40}?)\s*·\s*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
WECHAT_HEADER = re.compile(r"^(文章作者|发布时间|发布地|原文链接|封面图链接)\s*[:：]\s*(.*)$")
WECHAT_KEYS = {"文章作者": "author", "发布时间": "date", "原文链接": "url"}


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = re.search(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", value)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def front_matter_meta(meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("title", "author", "url", "outlet"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    published = parse_date(meta.get("date"))
    if published:
        out["published"] = published
    return out


def extract_header(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Pull a title, byline or WeChat header out of the first lines of a text."""
    meta: dict[str, Any] = {}
    rest: list[str] = []
    seen_title = False
    for index, raw in enumerate(lines):
        line = raw.strip()
        if index > 15:
            rest.extend(lines[index:])
            break
        if not line:
            rest.append(raw)
            continue
        title = re.match(r"^#\s+(.+)$", line)
        if not seen_title and title:
            meta["title"] = clean_inline_markdown(title.group(1))
            seen_title = True
            continue
        header = WECHAT_HEADER.match(line)
        if header:
            key = WECHAT_KEYS.get(header.group(1))
            value = header.group(2).strip()
            if key == "date":
                if parse_date(value):
                    meta["published"] = parse_date(value)
            elif key and value:
                meta[key] = value
            continue
        byline = BYLINE.match(line)
        if byline:
            meta["outlet"] = byline.group("who").strip()
            meta["published"] = date(int(byline["y"]), int(byline["m"]), int(byline["d"]))
            continue
        rest.append(raw)
    return meta, rest


# ---------------------------------------------------------------- the whole file


def strip_furniture(blocks: list[Block]) -> list[Block]:
    """Drop debris lines, promotions, bare links and the trailing references section."""
    kept: list[Block] = []
    for block in blocks:
        text = block.text.strip()
        if TAIL_MARKERS.match(text):
            # Everything after a references / keywords marker is apparatus, not article.
            break
        if DEBRIS_LINES.match(text) or BARE_URL.match(text) or PROMO.search(text):
            continue
        if not re.search(r"\w", text):
            continue
        kept.append(Block(text, block.is_heading, block.is_item))
    return kept


SENTENCE_END = '。！？.!?；;：:”"』」…)）'


def mark_bare_headings(blocks: list[Block]) -> list[Block]:
    """Plain text marks headings only by being short lines that end no sentence (list items
    and what a lead-in ending in a colon introduces are content, however short)."""
    out: list[Block] = []
    for index, block in enumerate(blocks):
        followed = index + 1 < len(blocks) and not blocks[index + 1].is_heading
        introduced = index > 0 and blocks[index - 1].text.endswith(("：", ":"))
        bare = len(block.text) <= 40 and block.text[-1] not in SENTENCE_END
        heading = bare and followed and not block.is_item and not introduced
        out.append(Block(block.text, block.is_heading or heading, block.is_item))
    return out


def parse_document(file_name: str, text: str) -> ParsedDocument:
    """Parse one file's text into metadata and clean blocks."""
    fm, body, warning = split_front_matter(text)
    warnings = [warning] if warning else []
    meta = front_matter_meta(fm)

    if looks_like_transcript(body):
        lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
        blocks = [Block(clean_inline_markdown(ln)) for ln in lines]
        blocks = [b for b in blocks if not (DEBRIS_LINES.match(b.text) or PROMO.search(b.text))]
        meta.setdefault("title", lines[0] if lines else file_name)
        return ParsedDocument(file_name, "transcript", blocks, meta, warnings)

    if re.search(r"<(p|div|br|span)\b", body, re.I):
        shape = "html"
        # A "Title by outlet" line followed by a "------" rule precedes the HTML.
        head, _, html_body = body.partition("<")
        head_lines = [ln for ln in head.split("\n") if ln.strip() and not set(ln.strip()) <= {"-"}]
        by = re.match(r"^(.*)\s+by\s+(\S+)$", head_lines[0]) if head_lines else None
        if by:
            meta.setdefault("title", by.group(1).strip())
            meta.setdefault("outlet", by.group(2).strip())
        blocks = html_blocks("<" + html_body)
    else:
        header, rest = extract_header(body.split("\n"))
        for key, value in header.items():
            meta.setdefault(key, value)
        shape = "wechat" if "author" in header and "url" in header else "markdown"
        blocks = markdown_blocks("\n".join(rest))
        if not fm and "title" not in header and blocks:
            shape = "text"
            first = blocks[0].text
            meta["title"] = first if len(first) <= 120 else first[:119] + "…"
    # A first line that is the title is dropped from the body, unless it is a real paragraph.
    title_is_first = (
        bool(blocks)
        and blocks[0].text == meta.get("title")
        and len(blocks[0].text) <= 80
        and blocks[0].text[-1] not in SENTENCE_END
    )
    blocks = mark_bare_headings(strip_furniture(blocks[1:] if title_is_first else blocks))
    if "title" not in meta:
        meta["title"] = blocks[0].text[:120] if blocks else file_name
    return ParsedDocument(file_name, shape, blocks, meta, warnings)
