"""English renderings when time runs out: a stopping process interrupts the translation in
progress and waits for it (never exits with the model running), and `rumorbot ask
--wait-english` shows what landed in time."""

from __future__ import annotations

import argparse
import json
import re
import threading
import time

import pytest
from sqlalchemy import select

from bot.background import BackgroundTranslation
from bot.cli.commands import cmd_ask
from bot.services import Services
from retrieval.db.tables import Translation
from retrieval.translation.render import ON_ITS_WAY
from retrieval.translation.translator import FakeTranslator, Interrupted


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
    # Nothing half-done was stored or delivered, and the text was given back: any replica
    # translates it next.
    assert not delivered and not store.done([j.content_hash for j in jobs])
    with services.sessions() as session:
        assert not session.scalars(select(Translation.status)).all()
    background.request()  # a stopped thread is not started again
    assert not background.alive


def test_an_answers_texts_interrupt_the_rest_mid_sentence(services: Services) -> None:
    store = services.translations
    assert store is not None
    started = threading.Event()
    made: list[object] = []

    def make(stop: threading.Event):
        # The first is the rest's, on a long text when the answer comes; then a fast one.
        made.append(MidSentence(stop, started) if not made else FakeTranslator())
        return made[-1]

    background = BackgroundTranslation(store, services.translation_jobs, make, services.answers)
    background.request()
    assert started.wait(10)
    answer_jobs = services.translation_jobs()[-2:]
    keys = {job.content_hash: [job.text] for job in answer_jobs}
    landed: list[float] = []
    begun = time.perf_counter()
    background.translate_now(answer_jobs, lambda: landed.append(time.perf_counter()), keys)
    # Not after the rest's text in progress (here a minute): at once. Called as each text's
    # key sentences land, and once more when all has.
    while len(landed) < 3 and time.perf_counter() - begun < 10:
        time.sleep(0.05)
    assert len(landed) == 3 and landed[-1] - begun < 5
    assert len(store.done([j.content_hash for j in answer_jobs])) == 2
    # The interrupted text was given back and the rest goes on: everything is translated.
    every = [j.content_hash for j in services.translation_jobs()]
    deadline = time.monotonic() + 60
    while len(store.done(every)) < len(every) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(store.done(every)) == len(every)
    background.stop()


def bare(text: str) -> str:
    return re.sub(r"[\s，。？！：；,.]", "", text)


def overlap(unit: str, key: str) -> bool:
    """Whether a unit holds part of a key sentence (units are cut apart from highlights)."""
    return any(key[i : i + 8] in unit for i in range(max(1, len(key) - 7)))


def test_ask_shows_the_key_sentences_that_landed_before_its_wait_ran_out(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "why was Opus 3.5 not released?"
    answer = services.answers.ask(question).to_json()
    # Compared without spaces and punctuation: a transcript's units have theirs restored.
    keys = [bare(p["highlight"]) for p in answer["passages"][:3]]

    class KeySentencesOnly(FakeTranslator):  # the rest would take longer than the wait
        def __init__(self, stop: threading.Event):
            super().__init__()
            self.stop = stop

        def translate(self, text: str, hint=None, context=None) -> tuple[str, int]:
            if not any(overlap(bare(text), key) for key in keys):
                self.stop.wait(60)
                raise Interrupted
            return super().translate(text, hint)

    monkeypatch.setattr(services, "translator", lambda stop=None: KeySentencesOnly(stop))
    args = argparse.Namespace(question=[question], json=True, wait_english=3)
    begun = time.perf_counter()
    assert cmd_ask(services, args) == 0
    assert time.perf_counter() - begun < 15
    shown = json.loads(capsys.readouterr().out)["passages"][:3]
    # Each quote shows its key sentence's English, the rest marked as still to come.
    for quote in shown:
        assert quote["english"] and "[EN " in quote["english"], quote
        assert ON_ITS_WAY in quote["english"]
