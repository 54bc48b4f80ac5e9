"""Builds rumorbot's services from settings: the one place where things are wired together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from retrieval.db import make_engine, session_factory, upgrade
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
