"""Renderings in the database: claims so each text is translated once across replicas and
processes, results, and the read side the answering engine uses."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from retrieval.db.claims import claim
from retrieval.db.tables import Translation, utcnow
from retrieval.translation.render import Rendering

# A claim; a claim with part of its rendering (an answer's key sentences) readable.
IN_HAND = ("claimed", "partial")
# A claim whose worker has not been heard of for this long is taken to be dead (killed,
# crashed) and its text is translated again. Workers touch their claim after every piece.
STALE_CLAIM = timedelta(minutes=2)


def text_hash(text: str) -> str:
    """The key of a text that is not a passage (a source title)."""
    return hashlib.sha256(text.encode()).hexdigest()


def worker_name() -> str:
    """Host, process and thread: several workers may run in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_native_id()}"


def _written(rendering: Rendering) -> dict[str, object]:
    """A rendering's columns, whole or partial."""
    return {
        "english": rendering.english,
        "checked": rendering.checked,
        "segments": [list(unit) for unit in rendering.segments],
        "problems": list(rendering.problems),
    }


@dataclass(frozen=True)
class StoredRendering:
    english: str
    checked: bool
    # (Chinese unit, its English, why the English is withheld or ""): see Rendering.
    segments: tuple[tuple[str, str, str], ...]
    problems: tuple[str, ...]


class TranslationStore:
    def __init__(self, sessions: sessionmaker[Session], translator_id: str, prompt_version: int):
        self.sessions = sessions
        self.translator_id = translator_id
        self.prompt_version = prompt_version

    def _key(self):
        return (
            Translation.translator_id == self.translator_id,
            Translation.prompt_version == self.prompt_version,
        )

    def claim(self, content_hash: str, worker: str) -> bool:
        """True for the one worker (of any process or replica) that should translate it."""
        row = Translation(
            content_hash=content_hash,
            translator_id=self.translator_id,
            prompt_version=self.prompt_version,
            status="claimed",
            worker=worker,
            segments=[],
            problems=[],
            tokens=0,
        )
        # Taken over when its worker went quiet; kept by the worker that holds it (a second
        # pass over the passage whose key sentences it rendered first).
        takeover = (
            update(Translation)
            .where(
                *self._key(),
                Translation.content_hash == content_hash,
                Translation.status.in_(IN_HAND),
                or_(
                    Translation.claimed_at < utcnow() - STALE_CLAIM,
                    Translation.worker == worker,
                ),
            )
            .values(worker=worker, claimed_at=utcnow())
        )
        return claim(self.sessions, row, takeover)

    def heartbeat(self, content_hash: str, worker: str) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Translation)
                .where(*self._key(), Translation.content_hash == content_hash)
                .where(Translation.worker == worker, Translation.status.in_(IN_HAND))
                .values(claimed_at=utcnow())
            )

    def keep_partial(self, content_hash: str, worker: str, rendering: Rendering) -> None:
        """Store a partial rendering (units left PENDING) while the claim is held: answers
        show what it has, the claim stays this worker's."""
        with self.sessions.begin() as session:
            session.execute(
                update(Translation)
                .where(*self._key(), Translation.content_hash == content_hash)
                .where(Translation.worker == worker, Translation.status.in_(IN_HAND))
                .values(status="partial", claimed_at=utcnow(), **_written(rendering))
            )

    def save(self, content_hash: str, worker: str, rendering: Rendering) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Translation)
                .where(*self._key(), Translation.content_hash == content_hash)
                .where(Translation.worker == worker)
                .values(
                    status="done",
                    finished_at=utcnow(),
                    tokens=rendering.tokens,
                    seconds=round(rendering.seconds, 3),
                    **_written(rendering),
                )
            )

    def release(self, content_hash: str, worker: str) -> None:
        """Give a claim back (the translation failed, or was interrupted): another run takes it
        at once. A partial rendering stays readable meanwhile: answers show its key sentences."""
        mine = (
            *self._key(),
            Translation.content_hash == content_hash,
            Translation.worker == worker,
        )
        with self.sessions.begin() as session:
            session.execute(delete(Translation).where(*mine, Translation.status == "claimed"))
            session.execute(
                update(Translation)
                .where(*mine, Translation.status == "partial")
                .values(claimed_at=utcnow() - 2 * STALE_CLAIM)
            )

    def done(self, hashes: list[str] | None = None) -> dict[str, StoredRendering]:
        """Finished renderings, of the given texts or of all."""
        return self._renderings(hashes, "done")

    def partial(self, hashes: list[str] | None = None) -> dict[str, StoredRendering]:
        """Partial renderings (their PENDING units still being translated), of the given
        texts or of all."""
        return self._renderings(hashes, "partial")

    def _renderings(self, hashes: list[str] | None, status: str) -> dict[str, StoredRendering]:
        query = select(
            Translation.content_hash,
            Translation.english,
            Translation.checked,
            Translation.segments,
            Translation.problems,
        ).where(*self._key(), Translation.status == status)
        out: dict[str, StoredRendering] = {}
        with self.sessions() as session:
            chunks = [hashes[i : i + 500] for i in range(0, len(hashes), 500)] if hashes else [None]
            for chunk in chunks:
                rows = session.execute(
                    query if chunk is None else query.where(Translation.content_hash.in_(chunk))
                )
                for content_hash, english, checked, segments, problems in rows:
                    out[content_hash] = StoredRendering(
                        english or "",
                        bool(checked),
                        tuple((zh, en, withheld) for zh, en, withheld in segments or []),
                        tuple(problems or []),
                    )
        return out

    def fingerprint(self) -> tuple[int, str | None, int, str | None]:
        """Changes whenever a rendering lands, whole or partial: how a server notices new
        ones cheaply."""
        with self.sessions() as session:
            count, newest = session.execute(
                select(func.count(), func.max(Translation.finished_at)).where(
                    *self._key(), Translation.status == "done"
                )
            ).one()
            partial, latest = session.execute(
                select(func.count(), func.max(Translation.claimed_at)).where(
                    *self._key(), Translation.status == "partial"
                )
            ).one()
        return (
            int(count),
            newest.isoformat() if newest else None,
            int(partial),
            latest.isoformat() if latest else None,
        )
