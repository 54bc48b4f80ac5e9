"""Work the bot process does in the background, at a lower CPU priority than answering: the
thread that runs a piece of work whenever asked (requests while it works fold into one more
round), and the English renderings made while `rumorbot serve` runs."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable

from retrieval.answers.engine import AnswerEngine
from retrieval.translation.model import TranslatorModelError
from retrieval.translation.store import TranslationStore
from retrieval.translation.translator import Translator
from retrieval.translation.worker import Job, translate_in_parallel

log = logging.getLogger(__name__)

NICENESS = 10


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
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the work in progress."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def stopping(self) -> threading.Event:
        return self._stop

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
        make_translator: Callable[[], Translator],
        engine: AnswerEngine,
        workers: int = 1,
        enabled: bool = True,
    ):
        super().__init__()
        self.store = store
        self.jobs = jobs
        self.make_translator = make_translator
        self.engine = engine
        self.workers = workers
        self.enabled = enabled and store is not None
        self.state = "idle"

    def request(self) -> None:
        """Translate whatever has no rendering yet; a no-op when translation is off. A stop
        leaves the text in progress claimed; its claim goes stale and is retaken later."""
        if self.enabled:
            super().request()

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
        store = self.store
        assert store is not None
        jobs = self.jobs()
        pending = len(jobs) - len(store.done([j.content_hash for j in jobs]))
        if not pending:
            return
        self.state = f"translating {pending} texts"
        log.info("translating %d texts in the background", pending)
        # Each worker frees its model when done: nothing stays loaded until the next batch.
        summary = translate_in_parallel(
            store, self.make_translator, jobs, self.workers, stop=self.stopping
        )
        log.info("background translation: %s", summary.line())
        if not self.stopping.is_set():
            self.engine.refresh_english()
