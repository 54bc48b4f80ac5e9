"""Claims shared across replicas: one process takes a piece of work, and work left behind by a
process that died is taken over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import (
    ColumnElement,
    Update,
    and_,
    or_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker

from retrieval.db.tables import utcnow


def claim(sessions: sessionmaker[Session], row: DeclarativeBase, takeover: Update) -> bool:
    """Claim a piece of work once across processes and replicas: insert `row` (its primary key
    names the work); if it exists, run `takeover`, an UPDATE that matches only a claim its
    holder abandoned. True for the one caller that now holds the claim."""
    try:
        with sessions.begin() as session:
            session.add(row)
        return True
    except IntegrityError:
        pass
    with sessions.begin() as session:
        return session.execute(takeover).rowcount == 1  # type: ignore[attr-defined]


def left_behind(
    owner_column: InstrumentedAttribute,
    claimed_at: InstrumentedAttribute,
    owner: str,
    stale: timedelta,
) -> ColumnElement[bool]:
    """A claim no live process holds: taken longer ago than `stale`, or by an earlier run of
    this replica (`owner` is "<replica>:<run>"; the earlier run was killed or restarted)."""
    replica = owner.split(":", 1)[0]
    return or_(
        claimed_at < utcnow() - stale,
        and_(owner_column.like(f"{replica}:%"), owner_column != owner),
    )
