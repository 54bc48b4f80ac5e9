"""The CC-CEDICT reverse index is cached beside the model; a read-only folder costs time only."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from retrieval.search.expansion import QueryExpander


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("expander-cache")
    QueryExpander(cache_dir=path).reverse  # noqa: B018 - builds and writes the cache
    return path


def test_the_index_is_cached_and_read_back(cache_dir: Path) -> None:
    (cached,) = cache_dir.glob("cedict-reverse-*.json")
    reverse = json.loads(cached.read_text(encoding="utf-8"))
    assert "banana" in reverse
    # A new expander reads the file instead of rebuilding: an edit to it shows.
    reverse["banana"] = ["试探词"]
    cached.write_text(json.dumps(reverse, ensure_ascii=False), encoding="utf-8")
    assert "试探词" in QueryExpander(cache_dir=cache_dir).expand("where are the bananas")


def test_an_unwritable_cache_dir_still_expands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A regular file where the folder should be: unwritable even for root.
    blocker = tmp_path / "models"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="retrieval.search.expansion"):
        terms = QueryExpander(cache_dir=blocker / "sub").expand("was the model released")
    assert terms, "expansion must not depend on the cache being writable"
    assert "could not cache" in caplog.text
    assert list(tmp_path.iterdir()) == [blocker]
