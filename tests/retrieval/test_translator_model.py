"""The real translator (Qwen2.5-Coder-1.5B from the part wheels, via llama-cpp-python) on two
short passages: numbers, amounts, a negation and a name come through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.translation.guard import english_negations
from retrieval.translation.model import FILE_NAME, ensure_joined
from retrieval.translation.render import render
from retrieval.translation.translator import LlamaTranslator


@pytest.fixture(scope="module")
def qwen(tmp_path_factory: pytest.TempPathFactory):
    path = ensure_joined(tmp_path_factory.mktemp("translator"))
    assert path.name == FILE_NAME
    translator = LlamaTranslator(path, "qwen-test")
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
