"""How rumorbot answers in a channel: when mentioned (the default) or, in auto mode, every
top-level message that asks something (`bot.text.is_question`)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.tables import ChannelMode
from retrieval.db.tables import utcnow

MODES = ("mention", "auto")
# Every message in every channel the bot is in asks for the mode: kept this long in memory
# (another replica's change is seen within it).
MODE_TTL_SECONDS = 30.0


class ChannelModes:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def mode(self, channel_id: str) -> str:
        with self._lock:
            cached = self._cache.get(channel_id)
        if cached is not None and time.monotonic() - cached[1] < MODE_TTL_SECONDS:
            return cached[0]
        with self.sessions() as session:
            mode = session.scalar(
                select(ChannelMode.mode).where(ChannelMode.channel_id == channel_id)
            )
        return self._remember(channel_id, mode or "mention")

    def set_mode(self, channel_id: str, mode: str, user_id: str | None) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        with self.sessions.begin() as session:
            session.execute(delete(ChannelMode).where(ChannelMode.channel_id == channel_id))
            if mode != "mention":
                session.add(
                    ChannelMode(channel_id=channel_id, mode=mode, set_by=user_id, set_at=utcnow())
                )
        self._remember(channel_id, mode)

    def _remember(self, channel_id: str, mode: str) -> str:
        with self._lock:
            self._cache[channel_id] = (mode, time.monotonic())
        return mode
