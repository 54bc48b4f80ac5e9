"""The searchable form of a corpus version: built, published, loaded (see `publisher`)."""

from retrieval.index.embedding_cache import EmbeddingCache
from retrieval.index.publisher import POINTER, BuildReport, IndexPublisher
from retrieval.index.snapshot import (
    IndexBuildError,
    IndexManifest,
    IndexSnapshot,
    load_snapshot_dir,
)

__all__ = [
    "POINTER",
    "BuildReport",
    "EmbeddingCache",
    "IndexBuildError",
    "IndexManifest",
    "IndexPublisher",
    "IndexSnapshot",
    "load_snapshot_dir",
]
