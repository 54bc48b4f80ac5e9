"""The answering engine: the served index snapshot, questions, and reloads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from retrieval.answers.answer import STALE_DAYS, Answer, compose
from retrieval.answers.conversation import follow_up
from retrieval.answers.quoting import UnitVectors
from retrieval.answers.timeline import TimelineEntry, build_timeline
from retrieval.corpus.ingest import AddedSource, CorpusIngestor, IngestReport
from retrieval.corpus.store import CorpusStore
from retrieval.embedding.calibration import Calibration
from retrieval.embedding.embedders import Embedder
from retrieval.index import BuildReport, IndexBuildError, IndexPublisher, IndexSnapshot
from retrieval.search.analysis import QueryAnalysis, analyse
from retrieval.search.english import EnglishSide, build_english_side
from retrieval.search.expansion import QueryExpander
from retrieval.search.hybrid import HybridSearcher
from retrieval.translation.store import TranslationStore, text_hash

log = logging.getLogger(__name__)

TIMELINE_DEPTH = 40  # passages searched for a timeline before keeping those about the topic


class ReloadInProgress(RuntimeError):
    """A reload is already running in this process."""


class NotReady(RuntimeError):
    """No index has been loaded yet."""


@dataclass
class ReloadReport:
    ingest: IngestReport
    build: BuildReport | None
    served_version: int
    duration_s: float


class AnswerEngine:
    def __init__(
        self,
        store: CorpusStore,
        ingestor: CorpusIngestor,
        publisher: IndexPublisher,
        embedder: Embedder,
        corpus_dir: Path,
        expander: QueryExpander | None = None,
        translations: TranslationStore | None = None,
        stale_days: int = STALE_DAYS,
        calibration: Calibration | None = None,
    ):
        self.store = store
        self.ingestor = ingestor
        self.publisher = publisher
        self.embedder = embedder
        self.unit_vectors = UnitVectors(embedder)
        self.calibration = calibration or Calibration()
        self.searcher = HybridSearcher(
            embedder,
            expander or QueryExpander(),
            dense_weight=self.calibration.dense_weight,
            dense_weight_chinese=self.calibration.dense_weight_chinese,
        )
        self.corpus_dir = corpus_dir
        # None: English renderings are off (RUMORBOT_TRANSLATOR=off).
        self.translations = translations
        self.stale_days = stale_days
        # Set when the translator cannot run here (its model missing): answers then show the
        # renderings that exist and stop promising the rest.
        self.english_unavailable: str | None = None
        self._snapshot: IndexSnapshot | None = None
        # Why the last index build failed (a read-only or full disk, the embedder), while an
        # older intact index is served; None once a build succeeds.
        self.build_failure: str | None = None
        self._english: EnglishSide | None = None
        self._reload_lock = threading.Lock()
        self._english_lock = threading.Lock()

    @property
    def snapshot(self) -> IndexSnapshot:
        snapshot = self._snapshot  # one read: a query sticks to the snapshot it started with
        if snapshot is None:
            raise NotReady("the index is not loaded yet")
        return snapshot

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def start(self, triggered_by: str = "startup") -> None:
        """Make the engine able to answer: ingest an empty database, build a stale index, load."""
        if self.store.current_version() is None:
            log.info("empty database: ingesting %s", self.corpus_dir)
            self.ingestor.ingest(self.corpus_dir, triggered_by=triggered_by)
        _, snapshot = self._publish_current()
        # Warm every lazy piece (tokenisers, the CC-CEDICT index, the ONNX session) so the
        # first real question is as fast as the rest; only then is the engine ready.
        self.searcher.search(snapshot, "What is known about GPT-5? GPT-5 的传闻")
        self._snapshot = snapshot
        self.refresh_english()

    @property
    def english(self) -> EnglishSide | None:
        """The renderings of the served version (None when translation is off)."""
        english, snapshot = self._english, self._snapshot
        if self.translations is None or snapshot is None:
            return None
        if english is None or english.version != snapshot.version:
            return EnglishSide.empty(snapshot.version)  # a reload's renderings not read yet
        return english

    def refresh_english(self) -> bool:
        """Take in renderings stored since the last look (by a background worker here or on
        another replica). Cheap when nothing changed: one aggregate query."""
        snapshot = self._snapshot
        if self.translations is None or snapshot is None:
            return False
        with self._english_lock:
            fingerprint = self.translations.fingerprint()
            current = self._english
            if (
                current
                and current.version == snapshot.version
                and current.fingerprint == fingerprint
            ):
                return False
            hashes = [p.content_hash for p in snapshot.passages]
            hashes += [text_hash(s.title) for s in snapshot.sources.values()]
            renderings = self.translations.done(hashes)
            partial = self.translations.partial(hashes)
            self._english = build_english_side(
                snapshot, renderings, self.embedder, self.publisher.cache, fingerprint, partial
            )
            return True

    def _publish_current(self) -> tuple[BuildReport | None, IndexSnapshot]:
        """Build the index of the served corpus version if it is not built yet; load it.
        A build hands over the snapshot it checked, so nothing is loaded twice."""
        if not self.publisher.is_current(self.embedder):
            return self._build_or_keep()
        try:
            return None, self.publisher.load_current()
        except IndexBuildError as exc:
            # Corrupt or truncated files: the database holds every passage and embedding,
            # so the index is built again instead of failing (and retrying) for good.
            log.error("the published index cannot be served (%s); rebuilding it", exc)
            return self._build_or_keep()

    def _build_or_keep(self) -> tuple[BuildReport | None, IndexSnapshot]:
        """Build; when that fails (the index directory read-only or full, the embedder
        failing), keep serving the snapshot this process has, else the intact one published
        on disk (an older corpus version beats refusing to start), and say so in
        `build_failure`. The database change that asked for the build stands either way."""
        try:
            built = self._build()
        except Exception as exc:
            kept = self._snapshot or self.publisher.load_servable(self.embedder)
            if kept is None:
                raise
            self.build_failure = f"{type(exc).__name__}: {exc}"
            log.exception(
                "cannot build the index; serving corpus version %s until a build succeeds",
                kept.version,
            )
            return None, kept
        self.build_failure = None
        return built

    def _build(self) -> tuple[BuildReport, IndexSnapshot]:
        build = self.publisher.build(self.embedder, self._snapshot)
        log.info(
            "built index for corpus version %s in %.1f s (%d passages embedded, %d tokenised,"
            " dense index %s)",
            build.manifest.corpus_version,
            build.duration_s,
            build.embedded,
            build.tokenised,
            "built afresh" if build.rebuilt_dense else "carried forward",
        )
        return build, build.snapshot

    def refresh(self) -> bool:
        """Swap to a newer published corpus version if one exists (another replica reloaded).
        False when there is none, or when its index cannot be built here: the snapshot served
        before is kept (`build_failure` says why) and the next poll tries again."""
        if not self._reload_lock.acquire(blocking=False):
            return False
        try:
            version = self.store.current_version()
            before = self._snapshot
            if version is None or (before and before.version == version.id):
                return False
            _, self._snapshot = self._publish_current()
        finally:
            self._reload_lock.release()
        if before is not None and self._snapshot.version == before.version:
            return False
        self.refresh_english()
        return True

    def reload(self, triggered_by: str) -> ReloadReport:
        """Re-ingest the corpus and swap to its index; the old one serves until the swap."""
        return self._change(
            lambda: self.ingestor.ingest(self.corpus_dir, triggered_by=triggered_by)
        )

    def add_source(self, added: AddedSource, triggered_by: str) -> ReloadReport:
        """Add a source from Slack (SourceRefused: why not) and swap to the index with it."""
        return self._change(lambda: self.ingestor.add(added, triggered_by))

    def remove_source(self, source_id: str, triggered_by: str) -> ReloadReport:
        """Take a source out (SourceRefused: it is not there) and swap to the index without it."""
        return self._change(lambda: self.ingestor.remove(source_id, triggered_by))

    def _change(self, ingest: Callable[[], IngestReport]) -> ReloadReport:
        """One change to the corpus at a time in this process (the database lock orders
        replicas): the change, then its index built and swapped in."""
        if not self._reload_lock.acquire(blocking=False):
            raise ReloadInProgress("a reload is already running")
        try:
            started = time.perf_counter()
            report = ingest()
            build, snapshot = self._publish_current()
            self._snapshot = snapshot
        finally:
            self._reload_lock.release()
        self.refresh_english()
        return ReloadReport(report, build, snapshot.version, time.perf_counter() - started)

    def analyse(self, question: str) -> QueryAnalysis:
        return analyse(question, self.snapshot.names, self.searcher.expander)

    def timeline(self, topic: str) -> list[TimelineEntry]:
        snapshot, english = self.snapshot, self.english
        return build_timeline(self.searcher.search(snapshot, topic, k=TIMELINE_DEPTH), english)

    def ask(self, question: str, earlier: Sequence[str] = ()) -> Answer:
        """`earlier`: the questions asked before in the same thread (as they were searched,
        newest first); a follow-up that names no topic of its own takes theirs."""
        started = time.perf_counter()
        snapshot, english = self.snapshot, self.english
        context = follow_up(question, earlier, self.analyse) if earlier else None
        searched = context.searched if context else question
        result = self.searcher.search(snapshot, searched, english=english)
        answer = compose(
            snapshot,
            result,
            english,
            self.unit_vectors,
            date.today(),
            self.stale_days,
            self.calibration.off_topic_below,
        )
        if context is not None:
            answer.question, answer.searched, answer.context = question, searched, context.topic
        answer.translations = answer.translations and self.english_unavailable is None
        answer.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        return answer
