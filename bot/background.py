"""Work the bot process does in the background, at a lower CPU priority than answering: the
thread that runs a piece of work whenever asked (requests while it works fold into one more
round), and the English renderings made while `rumorbot serve` runs."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from retrieval.answers.engine import AnswerEngine
from retrieval.translation.guard import Aligner
from retrieval.translation.model import TranslatorModelError
from retrieval.translation.store import TranslationStore
from retrieval.translation.translator import Translator
from retrieval.translation.worker import Job, translate_in_parallel, translate_shown

log = logging.getLogger(__name__)

NICENESS = 10
# Texts an answer waits for, the key sentences to render first (by content hash), and what to
# call when they are in.
Urgent = tuple[list[Job], dict[str, list[str]], Callable[[], None]]


class BackgroundThread:
    name = "background"

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def work(self) -> bool:
        """One round; False stops the thread until the next request."""
        raise NotImplementedError

    def request(self) -> None:
        self._wanted.set()
        with self._lock:
            if self._stop.is_set():
                return  # stopped for good: no new thread
            if self._thread is None or not self._thread.is_alive():
                # Started before it is published: `stop` never joins an unstarted thread.
                thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                thread.start()
                self._thread = thread

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the work in progress."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    @property
    def alive(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        # Linux nices a thread by its id; threads it starts (a model's) inherit it.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        while self._wanted.is_set() and not self._stop.is_set():
            self._wanted.clear()
            if not self.work():
                return


class BackgroundTranslation(BackgroundThread):
    """English renderings made in the background of `rumorbot serve`: after start, after every
    reload and whenever another replica publishes a new corpus version.

    Answering always comes first: the worker thread runs at a lower CPU priority, the model
    (~1.9 GB) is loaded only while there is something to translate and freed after, and
    renderings reach answers as they land (the engine picks them up on its next refresh).
    """

    name = "translate"

    def __init__(
        self,
        store: TranslationStore | None,
        jobs: Callable[[], list[Job]],
        make_translator: Callable[[threading.Event], Translator],
        engine: AnswerEngine,
        workers: int = 1,
        enabled: bool = True,
        aligner: Aligner | None = None,
    ):
        super().__init__()
        self.store = store
        self.jobs = jobs
        self.make_translator = make_translator
        self.engine = engine
        self.workers = workers
        self.aligner = aligner
        self.enabled = enabled and store is not None
        self.state = "idle"
        # Texts an answer is waiting for: translated before everything else, each batch's
        # callback called once it is done. `_yield` interrupts a round of the rest when such
        # a batch arrives, mid-sentence: the text in progress is given back for a later round.
        self._urgent: list[Urgent] = []
        self._urgent_lock = threading.Lock()
        self._yield = threading.Event()

    def request(self) -> None:
        """Translate whatever has no rendering yet; a no-op when translation is off. A stop
        interrupts the text in progress and gives it back, for any replica to translate."""
        if self.enabled:
            super().request()

    def translate_now(
        self,
        jobs: list[Job],
        then: Callable[[], None],
        keys: Mapping[str, Sequence[str]] | None = None,
    ) -> bool:
        """Translate `jobs` ahead of everything else, the units of their key sentences (`keys`,
        by content hash) first, and call `then` (in this thread) as each job's key sentences
        land and again when all is. Done also where the rest is not translated in the
        background (an answer waits for these). False when translation is off: nothing will
        come."""
        if self.store is None:
            return False
        with self._urgent_lock:
            self._urgent.append((jobs, {k: list(v) for k, v in (keys or {}).items()}, then))
        self._yield.set()
        super().request()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._yield.set()
        super().stop(timeout)

    def work(self) -> bool:
        try:
            self._translate_once()
        except TranslatorModelError as exc:
            self.state = f"unavailable: {exc}"
            self.engine.english_unavailable = str(exc)
            log.warning("English renderings are unavailable: %s", exc)
            return False
        except Exception:
            self.state = "failed (see the log)"
            log.exception("background translation failed; the next reload tries again")
            return False
        self.state = "idle"
        return True

    def _translate_once(self) -> None:
        while not self.stopping.is_set():
            self._yield.clear()
            with self._urgent_lock:
                urgent, self._urgent = self._urgent, []
            if urgent:
                self._translate_urgent(urgent)
                continue
            if self.enabled:
                self._translate_rest()
            with self._urgent_lock:
                if not self._urgent:
                    return

    def _translate(self, jobs: list[Job], stop: threading.Event) -> None:
        store = self.store
        assert store is not None
        # Each worker frees its model when done: nothing stays loaded until the next batch.
        # Its model stops mid-sentence when `stop` is set (a stop sets it too): an answer
        # never waits for the rest's text in progress (half a minute on two cores).
        summary = translate_in_parallel(
            store,
            partial(self.make_translator, stop),
            jobs,
            self.workers,
            stop=stop,
            aligner=self.aligner,
        )
        log.info("background translation: %s", summary.line())
        if not self.stopping.is_set():
            self.engine.refresh_english()

    def _translate_urgent(self, batches: list[Urgent]) -> None:
        store = self.store
        assert store is not None
        jobs = list({j.content_hash: j for batch, _, _ in batches for j in batch}.values())
        keys: dict[str, list[str]] = {}
        for _, batch_keys, _ in batches:
            for content_hash, sentences in batch_keys.items():
                keys.setdefault(content_hash, []).extend(sentences)
        self.state = f"translating {len(jobs)} texts an answer waits for"

        def deliver() -> None:
            self.engine.refresh_english()
            for _, _, then in batches:
                try:
                    then()
                except Exception:
                    log.exception("could not deliver English an answer waited for")

        # Interrupted by a stop mid-sentence: the process never exits under a running model.
        translator = self.make_translator(self.stopping)
        try:
            summary = translate_shown(
                store, translator, jobs, keys, deliver, self.aligner, self.stopping
            )
        finally:
            translator.close()
        log.info("English for answers: %s", summary.line())
        if not self.stopping.is_set():
            deliver()

    def _translate_rest(self) -> None:
        store = self.store
        assert store is not None
        jobs = self.jobs()
        pending = len(jobs) - len(store.done([j.content_hash for j in jobs]))
        if not pending:
            return
        self.state = f"translating {pending} texts"
        log.info("translating %d texts in the background", pending)
        self._translate(jobs, self._yield)
