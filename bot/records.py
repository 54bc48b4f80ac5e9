"""What the Slack app remembers: answers given, votes on them, and Slack events taken on."""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from retrieval.db import claim, left_behind
from retrieval.models import AnswerLog, Feedback, HandledEvent, utcnow

T = TypeVar("T")
# The database being unreachable or unable to write (restarting, disk full), as opposed to a
# fault in the data: questions are still answered from the index in memory.
DATABASE_DOWN = (OperationalError, InterfaceError)
# A claim older than this with no answer is taken to be lost (its replica died mid-answer).
STALE_CLAIM = timedelta(seconds=60)
# Questions older than this are not answered late on recovery: the asker has moved on.
RECOVERY_WINDOW = timedelta(minutes=15)
WRITE_PROBLEM_SHOWN = timedelta(seconds=60)


# What a 👎 can say was wrong (the modal's choices), by stored key.
FEEDBACK_REASONS = {
    "wrong_quotes": "Wrong quotes",
    "wrong_english": "Wrong English",
    "outdated": "Outdated",
    "unreliable_source": "Unreliable source",
    "label_wrong": "Label wrong",
    "other": "Other",
}
MAX_COMMENT_CHARS = 500


@dataclass(frozen=True)
class Stats:
    questions: int
    by_label: dict[str, int]
    thumbs_up: int
    thumbs_down: int
    reasons: dict[str, int] = field(default_factory=dict)  # of the 👎 that gave one


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


@dataclass(frozen=True)
class AskedQuestion:
    question: str
    confidence: str
    asked_at: datetime


@dataclass(frozen=True)
class LoggedAnswer:
    """An answer as the log holds it, with where it stands in Slack (None: not posted, or
    posted privately)."""

    id: int
    surface: str
    user_id: str | None
    channel_id: str | None
    thread_ts: str | None
    message_ts: str | None
    question: str
    corpus_version: int | None
    answer: dict[str, Any]


@dataclass(frozen=True)
class WeakAnswer:
    """An answer the corpus did not support well: labelled low or none, or given a 👎."""

    user_id: str | None
    question: str
    asked_at: datetime
    confidence: str
    reasons: tuple[str, ...]  # given with 👎s


@dataclass(frozen=True)
class Unfinished:
    """An event answered while the database could not record it: recorded once it can."""

    event_id: str
    posted_ts: str | None
    answer_id: int | None


class AnswerRecords:
    def __init__(self, sessions: sessionmaker[Session], owner: str = "local:run"):
        self.sessions = sessions
        # "<replica>:<run>" (see bot.services.replica_owner): claims of an earlier run of
        # this replica were left by a process that is gone, and are taken over at once.
        self.owner = owner
        # The last write that failed for the database's sake (restarting, a full disk):
        # answers go on meanwhile, unrecorded, and /healthz says so for a while after.
        self.last_write_failure: tuple[datetime, str] | None = None
        # Bounded: a database gone for good must not grow the process without end.
        self.unfinished: deque[Unfinished] = deque(maxlen=10_000)
        self._unfinished_lock = threading.Lock()

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
        thread_ts: str | None = None,
    ) -> int:
        with self.sessions.begin() as session:
            row = AnswerLog(
                surface=surface,
                user_id=user_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
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

    def thread_questions(self, channel_id: str, thread_ts: str, limit: int = 5) -> list[str]:
        """The questions answered earlier in a thread, as they were searched, newest first.
        A thread is one rumorbot answered in, or the thread under an answer shared there."""
        with self.sessions() as session:
            rows = session.execute(
                select(AnswerLog.question, AnswerLog.answer_json)
                .where(
                    AnswerLog.channel_id == channel_id,
                    or_(AnswerLog.thread_ts == thread_ts, AnswerLog.message_ts == thread_ts),
                )
                .order_by(AnswerLog.id.desc())
                .limit(limit)
            ).all()
        return [(answer or {}).get("searched") or question for question, answer in rows]

    def answers_since(self, when: datetime, before_version: int) -> list[LoggedAnswer]:
        """Answers given since `when` from a corpus older than `before_version`, oldest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(AnswerLog)
                .where(AnswerLog.asked_at >= when, AnswerLog.corpus_version < before_version)
                .order_by(AnswerLog.id)
            ).all()
            return [
                LoggedAnswer(
                    r.id,
                    r.surface,
                    r.user_id,
                    r.channel_id,
                    r.thread_ts,
                    r.message_ts,
                    r.question,
                    r.corpus_version,
                    r.answer_json or {},
                )
                for r in rows
            ]

    @_write
    def revise(self, answer_id: int, answer: dict[str, Any], revision: dict[str, Any]) -> None:
        """The answer now shown in place of the old one, and the correction made."""
        with self.sessions.begin() as session:
            row = session.get(AnswerLog, answer_id)
            if row is None:
                return
            row.answer_json = answer
            row.confidence = answer["confidence"]
            row.reason = answer["reason"]
            row.passage_ids = [p["passage_id"] for p in answer["passages"]]
            row.corpus_version = answer.get("corpus_version")
            row.revisions = [*(row.revisions or []), revision]

    def weak_answers(self, since: datetime) -> list[WeakAnswer]:
        """Answers since `since` labelled low or none or given a 👎, oldest first."""
        with self.sessions() as session:
            downvoted = select(Feedback.answer_id).where(Feedback.vote == -1)
            rows = session.execute(
                select(
                    AnswerLog.id,
                    AnswerLog.user_id,
                    AnswerLog.question,
                    AnswerLog.asked_at,
                    AnswerLog.confidence,
                )
                .where(
                    AnswerLog.asked_at >= since,
                    or_(AnswerLog.confidence.in_(("low", "none")), AnswerLog.id.in_(downvoted)),
                )
                .order_by(AnswerLog.id)
            ).all()
            reasons: dict[int, list[str]] = {}
            for answer_id, reason in session.execute(
                select(Feedback.answer_id, Feedback.reason).where(
                    Feedback.vote == -1,
                    Feedback.reason.is_not(None),
                    Feedback.answer_id.in_([r.id for r in rows]),
                )
            ):
                reasons.setdefault(answer_id, []).append(reason)
        return [
            WeakAnswer(
                r.user_id, r.question, r.asked_at, r.confidence, tuple(reasons.get(r.id, ()))
            )
            for r in rows
        ]

    def recent_questions(self, user_id: str, limit: int = 5) -> list[AskedQuestion]:
        """A user's latest questions, newest first."""
        with self.sessions() as session:
            rows = session.execute(
                select(AnswerLog.question, AnswerLog.confidence, AnswerLog.asked_at)
                .where(AnswerLog.user_id == user_id)
                .order_by(AnswerLog.id.desc())
                .limit(limit)
            ).all()
        return [AskedQuestion(*row) for row in rows]

    @_write
    def mark_posted(self, answer_id: int, channel_id: str, message_ts: str | None) -> None:
        """Where an answer was posted after the fact (an ephemeral answer shared in channel)."""
        with self.sessions.begin() as session:
            session.execute(
                update(AnswerLog)
                .where(AnswerLog.id == answer_id)
                .values(channel_id=channel_id, message_ts=message_ts)
            )

    def answer(self, answer_id: int) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(AnswerLog, answer_id)
            return row.answer_json if row else None

    @_write
    def vote(self, answer_id: int, user_id: str, vote: int) -> None:
        """One vote per user per answer; voting again replaces the earlier vote (and the
        reason given with it)."""
        with self.sessions.begin() as session:
            if session.get(AnswerLog, answer_id) is None:
                raise KeyError(answer_id)
            existing = session.scalars(
                select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id)
            ).first()
            if existing:
                existing.vote, existing.reason, existing.comment = vote, None, None
            else:
                session.add(Feedback(answer_id=answer_id, user_id=user_id, vote=vote))

    @_write
    def explain(self, answer_id: int, user_id: str, reason: str, comment: str | None) -> None:
        """Why a user's 👎 was given (the modal): recorded with the vote, which it implies."""
        if reason not in FEEDBACK_REASONS:
            raise ValueError(reason)
        self.vote(answer_id, user_id, -1)
        with self.sessions.begin() as session:
            session.execute(
                update(Feedback)
                .where(Feedback.answer_id == answer_id, Feedback.user_id == user_id)
                .values(reason=reason, comment=(comment or None) and comment[:MAX_COMMENT_CHARS])
            )

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
            reasons = dict(
                session.execute(
                    select(Feedback.reason, func.count())
                    .where(Feedback.vote == -1, Feedback.reason.is_not(None))
                    .group_by(Feedback.reason)
                ).all()
            )
        return Stats(sum(by_label.values()), by_label, votes.get(1, 0), votes.get(-1, 0), reasons)

    def _abandoned(self):
        """Unfinished claims no live process holds (killed or restarted mid-answer)."""
        return and_(
            HandledEvent.done_at.is_(None),
            HandledEvent.posted_ts.is_(None),
            left_behind(HandledEvent.owner, HandledEvent.received_at, self.owner, STALE_CLAIM),
        )

    @_write
    def claim_event(self, event_id: str, request: dict[str, Any] | None = None) -> bool:
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

    def abandoned_events(self) -> list[tuple[str, dict[str, Any]]]:
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

    def finish_event(
        self, event_id: str, posted_ts: str | None = None, answer_id: int | None = None
    ) -> None:
        """Done with an event: its answer is in Slack at `posted_ts` (None if nothing was
        posted). Kept in memory and written later when the database cannot take it now."""
        self.unfinished.append(Unfinished(event_id, posted_ts, answer_id))
        self.record_unfinished()

    @_write
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
