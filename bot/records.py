"""What the Slack app remembers: answers given, votes on them, and Slack events taken on."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from retrieval.db import claim
from retrieval.models import AnswerLog, Feedback, HandledEvent, utcnow

T = TypeVar("T")
# The database being unreachable or unable to write (restarting, disk full), as opposed to a
# fault in the data: questions are still answered from the index in memory.
DATABASE_DOWN = (OperationalError, InterfaceError)
# A claim older than this with no answer is taken to be lost (its replica died mid-answer).
STALE_CLAIM = timedelta(seconds=60)
WRITE_PROBLEM_SHOWN = timedelta(seconds=60)


@dataclass(frozen=True)
class Stats:
    questions: int
    by_label: dict[str, int]
    thumbs_up: int
    thumbs_down: int


def _write(method: Callable[..., T]) -> Callable[..., T]:
    """Note a write that failed because of the database (not the data)."""

    @functools.wraps(method)
    def wrapper(self: AnswerRecords, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except DATABASE_DOWN as exc:
            self.last_write_failure = (utcnow(), type(exc).__name__)
            raise

    return wrapper


class AnswerRecords:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        # The last write that failed for the database's sake (restarting, a full disk):
        # answers go on meanwhile, unrecorded, and /healthz says so for a while after.
        self.last_write_failure: tuple[datetime, str] | None = None

    @property
    def write_problem(self) -> str | None:
        """Why writes failed lately (on a full disk small ones may still pass), or None."""
        if self.last_write_failure is None:
            return None
        when, error = self.last_write_failure
        if utcnow() - when > WRITE_PROBLEM_SHOWN:
            return None
        return f"{error} at {when:%H:%M:%S} UTC"

    @_write
    def log_answer(
        self,
        *,
        surface: str,
        user_id: str | None,
        channel_id: str | None,
        question: str,
        answer: dict[str, Any],
    ) -> int:
        with self.sessions.begin() as session:
            row = AnswerLog(
                surface=surface,
                user_id=user_id,
                channel_id=channel_id,
                question=question,
                confidence=answer["confidence"],
                reason=answer["reason"],
                passage_ids=[p.get("passage_id", p["source_file"]) for p in answer["passages"]],
                timings_ms=answer.get("timings_ms", {}),
                corpus_version=answer.get("corpus_version"),
                answer_json=answer,
            )
            session.add(row)
            session.flush()
            return row.id

    def recent_passage_ids(self, answers: int = 200) -> list[str]:
        """Passages the latest answers quoted, newest answer first (translated first)."""
        with self.sessions() as session:
            rows = session.scalars(
                select(AnswerLog.passage_ids).order_by(AnswerLog.id.desc()).limit(answers)
            )
            return list(dict.fromkeys(pid for ids in rows for pid in ids or []))

    def answer(self, answer_id: int) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(AnswerLog, answer_id)
            return row.answer_json if row else None

    @_write
    def vote(self, answer_id: int, user_id: str, vote: int) -> None:
        """One vote per user per answer; voting again replaces the earlier vote."""
        with self.sessions.begin() as session:
            if session.get(AnswerLog, answer_id) is None:
                raise KeyError(answer_id)
            existing = session.scalars(
                select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id)
            ).first()
            if existing:
                existing.vote = vote
            else:
                session.add(Feedback(answer_id=answer_id, user_id=user_id, vote=vote))

    def stats(self) -> Stats:
        with self.sessions() as session:
            by_label = dict(
                session.execute(
                    select(AnswerLog.confidence, func.count()).group_by(AnswerLog.confidence)
                ).all()
            )
            votes = dict(
                session.execute(select(Feedback.vote, func.count()).group_by(Feedback.vote)).all()
            )
        return Stats(sum(by_label.values()), by_label, votes.get(1, 0), votes.get(-1, 0))

    @_write
    def claim_event(self, event_id: str) -> bool:
        """True for the one delivery (on any replica) that should answer this event."""
        # Already claimed: taken over only if that claim was abandoned.
        return claim(
            self.sessions,
            HandledEvent(event_id=event_id),
            update(HandledEvent)
            .where(
                HandledEvent.event_id == event_id,
                HandledEvent.done_at.is_(None),
                HandledEvent.received_at < utcnow() - STALE_CLAIM,
            )
            .values(received_at=utcnow()),
        )

    @_write
    def finish_event(self, event_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(HandledEvent)
                .where(HandledEvent.event_id == event_id)
                .values(done_at=utcnow())
            )
