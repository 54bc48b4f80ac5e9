"""The real translator (Qwen2.5-Coder-1.5B from the part wheels, via llama-cpp-python) on two
short passages: numbers, amounts, a negation and a name come through; a stop interrupts it."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest

from retrieval.translation.guard import english_negations
from retrieval.translation.model import FILE_NAME, ensure_joined
from retrieval.translation.render import render
from retrieval.translation.translator import Interrupted, LlamaTranslator


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = ensure_joined(tmp_path_factory.mktemp("translator"))
    assert path.name == FILE_NAME
    return path


@pytest.fixture(scope="module")
def qwen(model_path: Path):
    translator = LlamaTranslator(model_path, "qwen-test")
    yield translator
    translator.close()


@pytest.mark.slow
def test_names_numbers_and_negations_survive(qwen: LlamaTranslator) -> None:
    first = render(qwen, "奥特曼表示，GPT-5 不会在 2024 年发布。")
    assert first.checked, first.problems
    assert "Altman" in first.english and "Ultraman" not in first.english
    assert "2024" in first.english and "GPT-5" in first.english
    assert english_negations(first.english) >= 1

    second = render(qwen, "据报道，一次训练的成本约为5亿美元，但效果并没有达到预期。")
    assert second.checked, second.problems
    assert re.search(r"500 million|\$?500,000,000|0\.5 billion", second.english), second.english
    assert english_negations(second.english) >= 1


@pytest.mark.slow
def test_the_model_is_freed_and_reloaded(qwen: LlamaTranslator, tmp_path: Path) -> None:
    qwen.close()
    english, tokens = qwen.translate("微软")
    assert "Microsoft" in english and tokens > 0


@pytest.mark.slow
def test_a_stop_interrupts_a_long_generation(model_path: Path) -> None:
    stop = threading.Event()
    translator = LlamaTranslator(model_path, "qwen-test", stop=stop)
    translator.translate("微软")  # loaded: what follows is the translation alone
    # ~20 s of reading the prompt alone on two cores: the stop comes in the middle of it.
    long_text = "，".join(f"第{i}家公司在 2024 年没有发布新的模型" for i in range(40)) + "。"
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(translator.translate(long_text))
        except Interrupted as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(3)
    stop.set()
    asked = time.perf_counter()
    worker.join(15)
    assert not worker.is_alive() and time.perf_counter() - asked < 5
    assert len(outcome) == 1 and isinstance(outcome[0], Interrupted)
    with pytest.raises(Interrupted):  # and nothing starts once stopped
        translator.translate("微软")
    translator.close()


@pytest.mark.slow
def test_loading_the_model_silences_nothing_else(
    model_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """What other threads write while the model loads still reaches standard error (a load
    used to put /dev/null over it for the whole process), and the load itself prints nothing."""
    translator = LlamaTranslator(model_path, "qwen-test")
    loaded = threading.Event()
    written: list[int] = []

    def chatter() -> None:
        while not loaded.is_set() or not written:
            os.write(2, f"other thread {len(written)}\n".encode())
            written.append(len(written))
            time.sleep(0.005)

    other = threading.Thread(target=chatter)
    other.start()
    try:
        english, _ = translator.translate("微软")
    finally:
        loaded.set()
        other.join()
        translator.close()
    err = capfd.readouterr().err
    assert "Microsoft" in english
    assert len(written) > 20  # it wrote all through the load
    assert err.splitlines() == [f"other thread {i}" for i in written]
