"""Slack events taken on: one delivery of an event answers it, on whichever replica, and the
questions a process took on and died before answering are answered again."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.store.health import WriteHealth, writes
from bot.store.tables import AnswerLog, HandledEvent
from retrieval.db.claims import claim, left_behind
from retrieval.db.tables import utcnow

# A claim older than this with no answer is taken to be lost (its replica died mid-answer).
STALE_CLAIM = timedelta(seconds=60)
# Questions older than this are not answered late on recovery: the asker has moved on.
RECOVERY_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Unfinished:
    """An event answered while the database could not record it: recorded once it can."""

    event_id: str
    posted_ts: str | None
    answer_id: int | None


class EventClaims:
    """Which process answers which Slack event, across replicas and restarts."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        owner: str = "local:run",
        health: WriteHealth | None = None,
    ):
        self.sessions = sessions
        # "<replica>:<run>" (see bot.services.replica_owner): claims of an earlier run of
        # this replica were left by a process that is gone, and are taken over at once.
        self.owner = owner
        self.health = health or WriteHealth()
        # Bounded: a database gone for good must not grow the process without end.
        self.unfinished: deque[Unfinished] = deque(maxlen=10_000)
        self._unfinished_lock = threading.Lock()

    def _abandoned(self):
        """Unfinished claims no live process holds (killed or restarted mid-answer)."""
        return and_(
            HandledEvent.done_at.is_(None),
            HandledEvent.posted_ts.is_(None),
            left_behind(HandledEvent.owner, HandledEvent.received_at, self.owner, STALE_CLAIM),
        )

    @writes
    def claim(self, event_id: str, request: dict[str, Any] | None = None) -> bool:
        """True for the one delivery (on any replica) that should answer this event.
        `request` is what answering it again needs if this process dies before posting."""
        self.record_unfinished()
        return claim(
            self.sessions,
            HandledEvent(event_id=event_id, owner=self.owner, request=request),
            update(HandledEvent)
            .where(HandledEvent.event_id == event_id, self._abandoned())
            .values(received_at=utcnow(), owner=self.owner),
        )

    def abandoned(self) -> list[tuple[str, dict[str, Any]]]:
        """Questions taken on by a process that died before posting their answer (and that
        Slack will not redeliver, having had its 200): (event id, request), oldest first."""
        with self.sessions() as session:
            rows = session.execute(
                select(HandledEvent.event_id, HandledEvent.request)
                .where(
                    self._abandoned(),
                    HandledEvent.request.is_not(None),
                    HandledEvent.received_at > utcnow() - RECOVERY_WINDOW,
                )
                .order_by(HandledEvent.received_at)
            ).all()
        return [(event_id, request) for event_id, request in rows]

    def finish(
        self, event_id: str, posted_ts: str | None = None, answer_id: int | None = None
    ) -> None:
        """Done with an event: its answer is in Slack at `posted_ts` (None if nothing was
        posted). Kept in memory and written later when the database cannot take it now."""
        self.unfinished.append(Unfinished(event_id, posted_ts, answer_id))
        self.record_unfinished()

    @writes
    def record_unfinished(self) -> None:
        with self._unfinished_lock:
            while self.unfinished:
                self._record(self.unfinished[0])
                self.unfinished.popleft()

    def _record(self, done: Unfinished) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(HandledEvent)
                .where(HandledEvent.event_id == done.event_id)
                .values(done_at=utcnow(), posted_ts=done.posted_ts)
            )
            if done.answer_id is not None and done.posted_ts is not None:
                session.execute(
                    update(AnswerLog)
                    .where(AnswerLog.id == done.answer_id)
                    .values(message_ts=done.posted_ts)
                )
