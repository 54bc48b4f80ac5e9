"""The messages rumorbot sends or edits on its own after a corpus change (digests to
following channels, corrections of past answers): claimed once across replicas, retried a
bounded number of times, recorded as done only once Slack accepted them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.slack_errors import UNFIXABLE_SLACK_ERRORS, slack_error
from bot.store.tables import Notification
from retrieval.db.claims import claim, left_behind
from retrieval.db.tables import utcnow

MAX_ATTEMPTS = 5
# A claimed notification still unposted after this is taken to be lost with its replica.
STALE_NOTICE = timedelta(minutes=2)
DONE = ("posted", "failed")


class Notifications:
    def __init__(self, sessions: sessionmaker[Session], owner: str = "local:run"):
        self.sessions = sessions
        self.owner = owner
        # (kind, corpus version) whose notifications are all sent or given up: not looked at
        # again by this process.
        self.settled: set[tuple[str, int]] = set()

    def _open(self):
        """Notifications no live process holds and that may still be sent: waiting for a
        retry, or claimed by a process that died."""
        return and_(
            Notification.posted_ts.is_(None),
            or_(
                Notification.status == "retry",
                and_(
                    Notification.status == "claimed",
                    left_behind(
                        Notification.owner, Notification.claimed_at, self.owner, STALE_NOTICE
                    ),
                ),
            ),
        )

    def claim(self, kind: str, version: int, target: str) -> bool:
        """True for the one process (on any replica) that should send this notification now."""
        return claim(
            self.sessions,
            Notification(kind=kind, corpus_version=version, target=target, owner=self.owner),
            update(Notification)
            .where(*_key(kind, version, target), self._open())
            .values(owner=self.owner, claimed_at=utcnow(), status="claimed"),
        )

    def sent(self, kind: str, version: int, target: str, posted_ts: str | None) -> None:
        self._finish(kind, version, target, status="posted", posted_ts=posted_ts)

    def failed(self, kind: str, version: int, target: str, error: str, retry: bool) -> str:
        """Record a failed attempt; "retry" while attempts remain and it may help, else
        "failed". Returns the new status."""
        with self.sessions() as session:
            attempts = session.scalar(
                select(Notification.attempts).where(*_key(kind, version, target))
            )
        status = "retry" if retry and (attempts or 0) + 1 < MAX_ATTEMPTS else "failed"
        self._finish(kind, version, target, status=status, error=error[:500])
        return status

    def slack_failed(self, kind: str, version: int, target: str, exc: Exception) -> str:
        """Record a failed Slack call: retried later unless Slack refused for good. Returns
        the reason and what happens next, for the log line."""
        error = slack_error(exc)
        why = error or type(exc).__name__
        status = self.failed(kind, version, target, why, retry=error not in UNFIXABLE_SLACK_ERRORS)
        return f"{why}; {'will retry' if status == 'retry' else 'given up'}"

    def _finish(self, kind: str, version: int, target: str, **values: object) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Notification)
                .where(*_key(kind, version, target))
                .values(
                    attempts=Notification.attempts + 1,
                    finished_at=utcnow(),
                    **values,
                )
            )

    def status(self, kind: str, version: int, target: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(Notification.status).where(*_key(kind, version, target)))

    def done(self, kind: str, version: int, targets: list[str]) -> bool:
        """Whether every one of these is sent or given up (then remembered as settled)."""
        if (kind, version) in self.settled:
            return True
        with self.sessions() as session:
            finished = session.scalar(
                select(func.count()).where(
                    Notification.kind == kind,
                    Notification.corpus_version == version,
                    Notification.target.in_(targets),
                    Notification.status.in_(DONE),
                )
            )
        if finished == len(set(targets)):
            self.settled.add((kind, version))
            return True
        return False


def _key(kind: str, version: int, target: str) -> tuple:
    return (
        Notification.kind == kind,
        Notification.corpus_version == version,
        Notification.target == target,
    )
