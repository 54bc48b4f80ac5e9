"""How rumorbot answers in a channel: when mentioned (the default) or, in auto mode, every
top-level message that asks something. Also what counts as asking something."""

from __future__ import annotations

import re
import threading
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from retrieval.models import ChannelMode, utcnow

MODES = ("mention", "auto")
# Every message in every channel the bot is in asks for the mode: kept this long in memory
# (another replica's change is seen within it).
MODE_TTL_SECONDS = 30.0

# "Do not share it" is an instruction; "Don't you think…?" ends with "?".
_EN_QUESTION_START = re.compile(
    r"^(what|what's|whats|why|who|who's|whom|whose|when|where|which|how|is|isn't|are|aren't|"
    r"was|wasn't|were|do(?! not\b)|does|doesn't|did|didn't|can|can't|could|will|won't|would|should|"
    r"has|hasn't|have|haven't|had|any|anyone|anybody|someone|does anyone|is it true)\b",
    re.IGNORECASE,
)
# 吗/呢/么 at the end, or a question word anywhere (哪怕 "even if" is not 哪 "which").
_ZH_QUESTION_END = re.compile(r"[吗呢么嘛][\s。.!！~～]*$")
_ZH_QUESTION_WORD = re.compile(
    r"为什么|为何|什么|是不是|是否|有没有|怎么|怎样|如何|多少|哪(?!怕)|谁|几时|难道"
)


def is_question(text: str) -> bool:
    """Whether a message asks something: ends with ? or ？, starts with a question word, or
    in Chinese ends with 吗/呢 or uses a question word."""
    text = text.strip()
    if not text:
        return False
    if text.rstrip(" .!~)）").endswith(("?", "？")):
        return True
    if _EN_QUESTION_START.match(text):
        return True
    return bool(_ZH_QUESTION_END.search(text) or _ZH_QUESTION_WORD.search(text))


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
