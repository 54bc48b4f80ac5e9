"""English that lands after an answer was posted: the passages of the quotes it shows are
translated ahead of everything else, their key sentences first, and the answer is edited in
place when those have English and again when all of it has (`chat.update`: no second
notification)."""

from __future__ import annotations

import logging
from functools import partial

from slack_sdk import WebClient

from bot.background import BackgroundTranslation
from bot.blocks import answer_blocks, answer_fallback
from bot.blocks.answers import wants_english
from bot.slack_errors import slack_error
from bot.store.answers import AnswerRecords
from retrieval.answers.answer import awaiting_english, with_english
from retrieval.answers.engine import AnswerEngine
from retrieval.answers.payload import AnswerJSON
from retrieval.translation.worker import passage_job

log = logging.getLogger(__name__)


class EnglishLater:
    def __init__(
        self, engine: AnswerEngine, records: AnswerRecords, translation: BackgroundTranslation
    ):
        self.engine = engine
        self.records = records
        self.translation = translation

    def follow(
        self,
        client: WebClient,
        answer: AnswerJSON,
        answer_id: int | None,
        channel: str,
        ts: str | None,
        english: bool | None = None,
    ) -> bool:
        """Edit the answer posted at (`channel`, `ts`) once its shown quotes have English;
        False when there is nothing to wait for. `english`: the answer is shown with English
        (default: for a question not asked in Chinese)."""
        shows_english = wants_english(answer) if english is None else english
        waiting = awaiting_english(answer) if shows_english else {}
        if answer_id is None or ts is None or not waiting:
            return False
        rows = self.engine.snapshot.passage_by_id
        jobs = [passage_job(rows[pid]) for pid in waiting if pid in rows]
        keys = {rows[pid].content_hash: [key] for pid, key in waiting.items() if pid in rows}
        edit = partial(self._edit, client, answer_id, channel, ts, shows_english)
        return bool(jobs) and self.translation.translate_now(jobs, edit, keys)

    def _edit(
        self, client: WebClient, answer_id: int, channel: str, ts: str, english: bool
    ) -> None:
        answer, side = self.records.answer(answer_id), self.engine.english
        if answer is None or side is None:
            return
        updated = with_english(answer, self.engine.snapshot, side)
        if updated == answer:
            return
        try:
            client.chat_update(
                channel=channel,
                ts=ts,
                text=answer_fallback(updated),
                blocks=answer_blocks(updated, answer_id, english=english),
            )
        except Exception as exc:
            log.warning(
                "could not add English to answer_id=%s: %s", answer_id, slack_error(exc) or exc
            )
            return
        self.records.replace(answer_id, updated)
        log.info("English added to answer_id=%s in place", answer_id)
