"""Shared by the listeners: answer a question, log it, and say sorry well when that fails."""

from __future__ import annotations

import logging
import time

from bot.services import Services
from bot.store.health import DATABASE_DOWN
from bot.text import clean_text, slack_to_plain
from retrieval.answers.engine import NotReady
from retrieval.answers.payload import AnswerJSON, Shown

log = logging.getLogger(__name__)

QUESTION_LOG_CHARS = 200


def question_from(text: str | None) -> str:
    return clean_text(slack_to_plain(text or ""))


def answer_and_log(
    services: Services,
    question: str,
    *,
    surface: str,
    request_id: str | None,
    user_id: str | None,
    channel_id: str | None,
    thread_ts: str | None = None,
    shown: Shown | None = None,
) -> tuple[AnswerJSON, int | None]:
    """`shown`: what the answer also shows, kept with it (a checked message: "checked")."""
    started = time.perf_counter()
    earlier: list[str] = []
    if channel_id and thread_ts:
        try:
            earlier = services.records.thread_questions(channel_id, thread_ts)
        except DATABASE_DOWN:
            log.warning(
                "database unavailable; request_id=%s answered without its thread", request_id
            )
    answer = services.answers.ask(question, earlier).to_json() | (shown or {})
    asked = time.perf_counter()
    answer_id: int | None
    try:
        answer_id = services.records.log_answer(
            surface=surface,
            user_id=user_id,
            channel_id=channel_id,
            question=question,
            answer=answer,
            thread_ts=thread_ts,
        )
    except DATABASE_DOWN:
        # The answer is still given (without feedback buttons, which need its record).
        log.warning("database unavailable; answer to request_id=%s not recorded", request_id)
        services.metrics.errors.labels("unrecorded").inc()
        answer_id = None
    services.metrics.observe_answer(answer["confidence"], time.perf_counter() - started)
    # One key=value line per answer. The question stays in the database unless an operator
    # asks for it here (RUMORBOT_LOG_QUESTIONS); repr() keeps it on one line, quoted.
    question_field = (
        f" question={question[:QUESTION_LOG_CHARS]!r}" if services.settings.log_questions else ""
    )
    log.info(
        "answered surface=%s request_id=%s answer_id=%s label=%s latency_ms=%.1f search_ms=%.1f%s",
        surface,
        request_id,
        answer_id,
        answer["confidence"],
        (time.perf_counter() - started) * 1000,
        (asked - started) * 1000,
        question_field,
    )
    return answer, answer_id


def failed(services: Services, where: str, exc: Exception, context: str = "") -> str:
    """Log and count a failure at a listener's boundary; return what to tell the user.
    `where` is a metric label (a few fixed values); `context` only goes to the log."""
    log.error("could not answer where=%s %s", where, context, exc_info=exc)
    services.metrics.errors.labels(where).inc()
    return apology(exc)


def apology(exc: Exception) -> str:
    """A short, safe reason: never a traceback, never internals."""
    if isinstance(exc, NotReady):
        reason = "the sources are still loading; try again in a minute"
    else:
        reason = "something went wrong on my side; the error is logged"
    return f"Sorry, I couldn't answer that: {reason}."
