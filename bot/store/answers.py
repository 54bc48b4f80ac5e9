"""What the Slack app remembers of its answers: the answer log, votes on answers and the
reasons given with them, and what the log says (stats, weak answers, a user's questions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.store.health import WriteHealth, writes
from bot.store.tables import AnswerLog, Feedback
from retrieval.answers.payload import AnswerJSON

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
    answer: AnswerJSON


@dataclass(frozen=True)
class WeakAnswer:
    """An answer the corpus did not support well: labelled low or none, or given a 👎."""

    user_id: str | None
    question: str
    asked_at: datetime
    confidence: str
    reasons: tuple[str, ...]  # given with 👎s


class AnswerRecords:
    """The answer log: answers given and where they stand in Slack, votes on them with their
    reasons, and what the log says (stats, weak answers, a user's last questions)."""

    def __init__(self, sessions: sessionmaker[Session], health: WriteHealth | None = None):
        self.sessions = sessions
        self.health = health or WriteHealth()

    @writes
    def log_answer(
        self,
        *,
        surface: str,
        user_id: str | None,
        channel_id: str | None,
        question: str,
        answer: AnswerJSON,
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
                    cast(AnswerJSON, r.answer_json or {}),
                )
                for r in rows
            ]

    @writes
    def revise(self, answer_id: int, answer: AnswerJSON, revision: dict[str, Any]) -> None:
        """The answer now shown in place of the old one, and the correction made."""
        with self.sessions.begin() as session:
            row = session.get(AnswerLog, answer_id)
            if row is None:
                return
            row.answer_json = cast(dict[str, Any], answer)
            row.confidence = answer["confidence"]
            row.reason = answer["reason"]
            row.passage_ids = [p["passage_id"] for p in answer["passages"]]
            row.corpus_version = answer.get("corpus_version")
            row.revisions = [*(row.revisions or []), revision]

    @writes
    def replace(self, answer_id: int, answer: AnswerJSON) -> None:
        """The answer as now shown, where only its English changed (no revision to record)."""
        with self.sessions.begin() as session:
            row = session.get(AnswerLog, answer_id)
            if row is not None:
                row.answer_json = cast(dict[str, Any], answer)

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
                reasons.setdefault(answer_id, []).append(reason or "")
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

    @writes
    def mark_posted(self, answer_id: int, channel_id: str, message_ts: str | None) -> None:
        """Where an answer was posted after the fact (an ephemeral answer shared in channel)."""
        with self.sessions.begin() as session:
            session.execute(
                update(AnswerLog)
                .where(AnswerLog.id == answer_id)
                .values(channel_id=channel_id, message_ts=message_ts)
            )

    def answer(self, answer_id: int) -> AnswerJSON | None:
        with self.sessions() as session:
            row = session.get(AnswerLog, answer_id)
            return cast(AnswerJSON, row.answer_json) if row else None

    @writes
    def vote(self, answer_id: int, user_id: str, vote: int) -> None:
        """One vote per user per answer; voting again replaces the earlier vote, and a changed
        vote drops the reason given with the old one (a 👎 counted after its modal's reason
        keeps it)."""
        with self.sessions.begin() as session:
            if session.get(AnswerLog, answer_id) is None:
                raise KeyError(answer_id)
            existing = session.scalars(
                select(Feedback).where(Feedback.answer_id == answer_id, Feedback.user_id == user_id)
            ).first()
            if existing and existing.vote != vote:
                existing.vote, existing.reason, existing.comment = vote, None, None
            elif existing is None:
                session.add(Feedback(answer_id=answer_id, user_id=user_id, vote=vote))

    @writes
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
            reasons = {
                reason: n
                for reason, n in session.execute(
                    select(Feedback.reason, func.count())
                    .where(Feedback.vote == -1, Feedback.reason.is_not(None))
                    .group_by(Feedback.reason)
                )
                if reason is not None
            }
        return Stats(sum(by_label.values()), by_label, votes.get(1, 0), votes.get(-1, 0), reasons)
