"""A web page or a shared file as a corpus document: its article's main text and metadata
(title, author, outlet, date, language) read by trafilatura, written in the corpus format
(front matter and a Markdown body) so it is cut into passages like any file in corpus/."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import yaml

from retrieval.corpus.documents import SkipFile, decode_text, parse_date
from retrieval.corpus.fetch import Fetched, FetchRefused
from retrieval.corpus.manifest import SourceEntry
from retrieval.text.tokens import CJK_RUN

MIN_ARTICLE_CHARS = 200  # less main text than this is not an article (a login wall, a list)
UPLOAD_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


@dataclass(frozen=True)
class Article:
    name: str  # the source id it is added as
    document: str  # the corpus format: YAML front matter, then the body in Markdown
    entry: SourceEntry  # what the front matter cannot say (language), as sources.toml would


def _language(text: str) -> str:
    """ "zh" when a fifth of the letters are Chinese, else "en" (the corpus knows no others)."""
    chinese = sum(len(run) for run in CJK_RUN.findall(text))
    letters = sum(ch.isalpha() for ch in text) or 1
    return "zh" if chinese / letters >= 0.2 else "en"


def _document(meta: dict[str, object], body: str) -> str:
    front = yaml.safe_dump(
        {k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False, width=1000
    )
    return f"---\n{front}---\n\n{body.strip()}\n"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:60] or "source"


def _html_article(html: bytes | str, url: str | None) -> tuple[dict[str, object], str]:
    """The page's metadata and main text (Markdown), or SkipFile when it has no article."""
    import trafilatura  # imported by what reads pages only: it loads lxml and its models

    try:
        tree = trafilatura.load_html(html)
        if tree is None:
            raise SkipFile("not an article: the page could not be parsed")
        found = trafilatura.extract_metadata(tree, default_url=url)
        body = ""
        for precise in (True, False):
            body = (
                trafilatura.extract(
                    trafilatura.load_html(html),
                    url=url,
                    output_format="markdown",
                    include_comments=False,
                    include_tables=False,
                    favor_precision=precise,
                )
                or ""
            )
            if len(body) >= MIN_ARTICLE_CHARS:
                break
    except SkipFile:
        raise
    except Exception as exc:  # a page that crashes the extractor is refused, not fatal
        raise SkipFile(f"could not read the page ({type(exc).__name__})") from exc
    if len(body) < MIN_ARTICLE_CHARS:
        raise SkipFile("not an article: no main text found on the page")
    meta: dict[str, object] = {
        "title": found.title if found else None,
        "author": found.author if found else None,
        "outlet": (found.sitename or found.hostname) if found else None,
        "date": found.date if found else None,
    }
    return meta, body


def _text_article(text: str) -> tuple[dict[str, object], str]:
    body = text.strip()
    if len(body) < MIN_ARTICLE_CHARS:
        raise SkipFile(f"too little text ({len(body)} characters) to be an article")
    return {}, body


def _article(
    name: str, meta: dict[str, object], body: str, url: str | None, outlet: str | None
) -> Article:
    title = str(meta.get("title") or "").strip()
    if not title:
        first = next((ln.strip("# ").strip() for ln in body.splitlines() if ln.strip()), name)
        title = first if len(first) <= 120 else first[:119] + "…"
    published = parse_date(meta.get("date"))
    fields = {
        "title": title,
        "outlet": meta.get("outlet") or outlet,
        "author": meta.get("author"),
        "url": url,
        "date": published.isoformat() if isinstance(published, date) else None,
    }
    entry = SourceEntry(language=_language(body))
    return Article(name=name, document=_document(fields, body), entry=entry)


def article_from_page(page: Fetched) -> Article:
    """The fetched page as a document named for its host and URL."""
    host = urlsplit(page.url).hostname or "web"
    name = f"{_safe(host)}-{hashlib.sha256(page.url.encode()).hexdigest()[:8]}.md"
    try:
        if page.content_type in ("text/html", "application/xhtml+xml"):
            meta, body = _html_article(page.body, page.url)
        else:
            meta, body = _text_article(decode_text(page.body, page.charset))
    except SkipFile as exc:
        raise FetchRefused(str(exc)) from exc
    return _article(name, meta, body, page.url, host)


def article_from_file(file_name: str, data: bytes) -> Article:
    """A file shared in Slack (.txt, .md, .html) as a document named for it and its bytes."""
    suffix = PurePosixPath(file_name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise FetchRefused(f"only {', '.join(UPLOAD_SUFFIXES)} files can be added")
    digest = hashlib.sha256(data).hexdigest()[:8]
    name = f"upload-{digest}-{_safe(PurePosixPath(file_name).stem)}.md"
    try:
        if suffix in (".html", ".htm"):
            meta, body = _html_article(data, None)
        else:
            # A Markdown or text file in the corpus format keeps its own front matter.
            text = decode_text(data, None)
            if text.startswith("---"):
                return Article(
                    name=name, document=text, entry=SourceEntry(language=_language(text))
                )
            meta, body = _text_article(text)
    except SkipFile as exc:
        raise FetchRefused(str(exc)) from exc
    return _article(name, meta, body, None, None)
