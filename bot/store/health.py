"""Whether the database takes writes: a write that failed for the database's sake (not the
data's) is noted, so /healthz can say so while answers go on from the index in memory."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

from retrieval.db.tables import utcnow

T = TypeVar("T")
# The database being unreachable or unable to write (restarting, disk full), as opposed to a
# fault in the data: questions are still answered from the index in memory.
DATABASE_DOWN = (OperationalError, InterfaceError)
WRITE_PROBLEM_SHOWN = timedelta(seconds=60)


class WriteHealth:
    """The last write that failed for the database's sake (restarting, a full disk): answers
    go on meanwhile, unrecorded, and /healthz says so for a while after. One per process,
    shared by the stores that write."""

    def __init__(self) -> None:
        self.last_failure: tuple[datetime, str] | None = None

    def failed(self, exc: Exception) -> None:
        self.last_failure = (utcnow(), type(exc).__name__)

    @property
    def problem(self) -> str | None:
        """Why writes failed lately (on a full disk small ones may still pass), or None."""
        if self.last_failure is None:
            return None
        when, error = self.last_failure
        if utcnow() - when > WRITE_PROBLEM_SHOWN:
            return None
        return f"{error} at {when:%H:%M:%S} UTC"


class _Writer(Protocol):
    health: WriteHealth


def writes(method: Callable[..., T]) -> Callable[..., T]:
    """Note a write that failed because of the database (not the data) in `self.health`."""

    @functools.wraps(method)
    def wrapper(self: _Writer, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except DATABASE_DOWN as exc:
            self.health.failed(exc)
            raise

    return wrapper
