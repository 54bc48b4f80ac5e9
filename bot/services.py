"""Builds rumorbot's services from settings: the one place where things are wired together."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.metrics import Metrics
from bot.records import AnswerRecords
from bot.settings import Settings
from retrieval.db import make_engine, session_factory, upgrade
from retrieval.embedding import Embedder, load_embedder
from retrieval.engine import AnswerEngine
from retrieval.expansion import QueryExpander
from retrieval.index import EmbeddingCache, IndexPublisher
from retrieval.ingest import CorpusIngestor
from retrieval.store import CorpusStore

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: CorpusStore
    ingestor: CorpusIngestor

    @cached_property
    def embedder(self) -> Embedder:
        # Loading the model takes seconds: only commands that search pay for it.
        return load_embedder(self.settings.embedder, self.settings.model_dir)

    @cached_property
    def publisher(self) -> IndexPublisher:
        index_root = self.settings.index_dir / self.settings.embedder
        return IndexPublisher(index_root, self.store, EmbeddingCache(self.sessions))

    @cached_property
    def records(self) -> AnswerRecords:
        return AnswerRecords(self.sessions)

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics()

    @cached_property
    def expander(self) -> QueryExpander:
        return QueryExpander(cache_dir=self.settings.model_dir)

    @cached_property
    def answers(self) -> AnswerEngine:
        return AnswerEngine(
            self.store,
            self.ingestor,
            self.publisher,
            self.embedder,
            self.settings.corpus_dir,
            self.expander,
        )


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        store=CorpusStore(sessions),
        ingestor=CorpusIngestor(sessions, settings.max_file_bytes),
    )
