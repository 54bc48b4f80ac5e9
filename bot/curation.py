"""Curating the corpus from Slack or the command line: a linked page or a shared file added
as a source, a source found by name and removed. Shared by the listeners and the CLI; each
change is a corpus version of its own, indexed and swapped in like a reload."""

from __future__ import annotations

from typing import get_args

from bot.services import Services
from retrieval.answers.engine import ReloadReport
from retrieval.corpus.articles import Article, article_from_file, article_from_page
from retrieval.corpus.fetch import fetch
from retrieval.corpus.ingest import AddedSource
from retrieval.corpus.manifest import SourceKind
from retrieval.corpus.store import SourceInfo

KINDS = get_args(SourceKind)


def _add(
    services: Services, article: Article, via: str, user: str | None, kind: str | None = None
) -> ReloadReport:
    """`kind`: what the admin says the source is (report, analysis, transcript, commentary),
    which sets its tier as sources.toml would; else its tier is the default, analysis."""
    entry = article.entry.model_copy(update={"kind": kind}) if kind in KINDS else article.entry
    added = AddedSource(article.name, article.document, entry, via, user)
    return services.answers.add_source(added, triggered_by=f"{via} added by {user or 'cli'}")


def add_link(
    services: Services, url: str, user: str | None, kind: str | None = None
) -> ReloadReport:
    """Fetch the page, read its article and add it: FetchRefused or SourceRefused say why
    not, and nothing changes then."""
    allowed = frozenset(h.lower() for h in services.settings.fetch_allow_hosts)
    page = fetch(url, allowed, max_bytes=services.settings.max_file_bytes)
    return _add(services, article_from_page(page), "link", user, kind)


def add_file(services: Services, file_name: str, data: bytes, user: str | None) -> ReloadReport:
    return _add(services, article_from_file(file_name, data), "upload", user)


def find_sources(services: Services, query: str) -> list[SourceInfo]:
    """The sources `query` names: by file name exactly, else every one whose file name or
    title contains it (case ignored)."""
    sources = services.store.sources()
    wanted = query.strip().lower()
    exact = [s for s in sources if s.id.lower() == wanted]
    if exact or not wanted:
        return exact
    return [s for s in sources if wanted in s.id.lower() or wanted in s.title.lower()]
