"""Builds rumorbot's services from settings: the one place where things are wired together."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.background import BackgroundTranslation
from bot.metrics import Metrics
from bot.outbox.corrections import Corrections
from bot.outbox.digests import Digests
from bot.outbox.english import EnglishLater
from bot.settings import Settings
from bot.store.answers import AnswerRecords
from bot.store.channel_modes import ChannelModes
from bot.store.events import EventClaims
from bot.store.health import WriteHealth
from bot.store.notifications import Notifications
from bot.store.subscriptions import Subscriptions
from retrieval.answers.engine import AnswerEngine
from retrieval.corpus.ingest import CorpusIngestor
from retrieval.corpus.store import CorpusStore, SourceInfo
from retrieval.db.session import make_engine, session_factory, upgrade
from retrieval.embedding.calibration import calibration_for
from retrieval.embedding.embedders import Embedder
from retrieval.embedding.loading import load_embedder
from retrieval.index import EmbeddingCache, IndexPublisher
from retrieval.search.expansion import QueryExpander
from retrieval.translation.guard import Aligner
from retrieval.translation.store import TranslationStore, text_hash
from retrieval.translation.translator import (
    PROMPT_VERSION,
    Translator,
    load_translator,
    translator_id_for,
)
from retrieval.translation.worker import Job, jobs_for

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
    def owner(self) -> str:
        """This process's name on the claims it takes (see `replica_owner`)."""
        return replica_owner(self.settings.data_dir)

    @cached_property
    def write_health(self) -> WriteHealth:
        return WriteHealth()

    @cached_property
    def records(self) -> AnswerRecords:
        return AnswerRecords(self.sessions, self.write_health)

    @cached_property
    def events(self) -> EventClaims:
        return EventClaims(self.sessions, self.owner, self.write_health)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.sessions)

    @cached_property
    def modes(self) -> ChannelModes:
        return ChannelModes(self.sessions)

    @cached_property
    def notifications(self) -> Notifications:
        return Notifications(self.sessions, self.owner)

    @cached_property
    def corrections(self) -> Corrections:
        return Corrections(
            self.answers,
            self.store,
            self.records,
            self.notifications,
            self.settings.recheck,
            self.settings.recheck_days,
        )

    @cached_property
    def english_later(self) -> EnglishLater:
        return EnglishLater(self.answers, self.records, self.background_translation)

    @cached_property
    def digests(self) -> Digests:
        return Digests(
            self.answers,
            self.store,
            self.subscriptions,
            self.notifications,
            self.translations is not None,
        )

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics()

    @cached_property
    def aligner(self) -> Aligner | None:
        """The translation guard's reading of meaning, where the embedder can give it."""
        calibration = calibration_for(self.settings.embedder)
        if calibration.align_least is None or calibration.align_sentence_least is None:
            return None
        return Aligner(
            self.embedder.embed_similar, calibration.align_least, calibration.align_sentence_least
        )

    @cached_property
    def expander(self) -> QueryExpander:
        return QueryExpander(cache_dir=self.settings.model_dir)

    @cached_property
    def translations(self) -> TranslationStore | None:
        """Where renderings are kept (None when translation is off). Needs no model: a server
        shows what other processes translated even before its own translator loads."""
        translator_id = translator_id_for(self.settings.translator, self.settings.translator_model)
        if translator_id is None:
            return None
        return TranslationStore(self.sessions, translator_id, PROMPT_VERSION)

    def translator(self, stop: threading.Event | None = None) -> Translator | None:
        """A new translator (it loads its model on first use; close it when done). Setting
        `stop` interrupts it."""
        settings = self.settings
        return load_translator(
            settings.translator,
            settings.model_dir,
            settings.translator_model,
            settings.translator_threads,
            stop,
        )

    def english_titles(self, sources: list[SourceInfo]) -> dict[str, str]:
        """Source id → its title's English rendering, where one exists."""
        if self.translations is None:
            return {}
        keys = {s.id: text_hash(s.title) for s in sources}
        done = self.translations.done(list(keys.values()))
        return {sid: done[key].english for sid, key in keys.items() if key in done}

    def translation_jobs(self) -> list[Job]:
        """Every text of the served corpus, passages the latest answers quoted first."""
        _, sources, passages = self.store.snapshot()
        return jobs_for(passages, sources, first=self.records.recent_passage_ids())

    @cached_property
    def background_translation(self) -> BackgroundTranslation:
        return BackgroundTranslation(
            self.translations,
            self.translation_jobs,
            self.translator,  # type: ignore[arg-type]
            self.answers,
            self.settings.translator_workers,
            self.settings.translate_in_background,
            self.aligner,
        )

    @cached_property
    def answers(self) -> AnswerEngine:
        return AnswerEngine(
            self.store,
            self.ingestor,
            self.publisher,
            self.embedder,
            self.settings.corpus_dir,
            self.expander,
            self.translations,
            self.settings.stale_days,
            calibration_for(self.settings.embedder),
        )


def replica_owner(data_dir: Path) -> str:
    """This process's name on the claims it takes: "<replica>:<run>". The replica id is kept in
    the data directory (each replica has its own), so after a restart the new run knows which
    unfinished claims were its own earlier run's and can take them over at once."""
    path = data_dir / "replica-id"
    try:
        replica = path.read_text().strip()
    except FileNotFoundError:
        replica = uuid.uuid4().hex[:12]
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(replica + "\n")
        except OSError as exc:
            log.warning(
                "cannot keep a replica id in %s (%s): a restart waits out old claims", path, exc
            )
    return f"{replica}:{uuid.uuid4().hex[:8]}"


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
