"""The serving process's background translation when the process stops: a translation in
progress is interrupted and waited for, never left running while the interpreter exits."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from bot.background import BackgroundTranslation
from bot.services import Services
from retrieval.db.tables import Translation
from retrieval.translation.translator import Interrupted


class MidSentence:
    """A translator that is still generating when its process stops (as a 1.5B model on a
    busy machine is, for half a minute): it returns only when interrupted."""

    translator_id = "fake-v1"

    def __init__(self, stop: threading.Event, started: threading.Event):
        self.stop = stop
        self.started = started

    def translate(self, text: str, hint=None, context=None) -> tuple[str, int]:
        self.started.set()
        if not self.stop.wait(60):
            return "too late", 1
        raise Interrupted

    def punctuate(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass


def test_stopping_interrupts_the_translation_an_answer_waits_for(services: Services) -> None:
    store = services.translations
    assert store is not None
    started = threading.Event()
    background = BackgroundTranslation(
        store,
        services.translation_jobs,
        lambda stop: MidSentence(stop, started),
        services.answers,
    )
    delivered: list[bool] = []
    jobs = services.translation_jobs()[:2]
    keys = {job.content_hash: [job.text] for job in jobs}
    assert background.translate_now(jobs, lambda: delivered.append(True), keys)
    assert started.wait(10) and background.alive

    begun = time.perf_counter()
    background.stop(timeout=10)
    assert time.perf_counter() - begun < 2
    assert not background.alive
    # Nothing half-done was stored or delivered; the text stays claimed until its claim goes
    # stale, then another worker retakes it.
    assert not delivered and not store.done([j.content_hash for j in jobs])
    with services.sessions() as session:
        statuses = session.scalars(select(Translation.status)).all()
    assert statuses == ["claimed"]
    background.request()  # a stopped thread is not started again
    assert not background.alive
