"""Corrections: after a corpus change, past answers are asked again and, where the answer
changed materially, the Slack message is edited in place with a receipt on top and the asker
is told once in its thread. Each (change, answer) is claimed once across replicas.

Answering comes first: the work runs in one thread at a lower CPU priority, and Slack writes
are spaced (`chat.update` is rate tier 3, ~50 a minute; a thread reply is one a second per
channel), so a reload that touches 500 answers spreads them over minutes.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk import WebClient

from bot.background import BackgroundThread
from bot.blocks import answer_blocks, answer_fallback, correction_reply
from bot.slack_errors import slack_error
from bot.store.answers import AnswerRecords, LoggedAnswer
from bot.store.notifications import Notifications
from retrieval.answers.engine import AnswerEngine
from retrieval.changes.recheck import Revision, receipt, revise
from retrieval.corpus.store import CorpusStore
from retrieval.db.tables import utcnow

log = logging.getLogger(__name__)

KIND = "correction"
# A change older than this is not acted on late (a replica that was down for a day).
RECHECK_WINDOW = timedelta(hours=24)
PACE_SECONDS = 1.2  # between corrections: two Slack writes each


@dataclass(frozen=True)
class Correction:
    logged: LoggedAnswer
    revision: Revision


@dataclass
class RecheckPlan:
    """What one corpus change does to the answers of the period."""

    version: int
    checked: int = 0
    corrections: list[Correction] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # why not editable → how many

    def summary(self) -> str:
        """For the reload report: "N past answers changed; updating them (…)"."""
        changed = len(self.corrections)
        line = (
            f"{changed} past answer{'s' if changed != 1 else ''} changed; updating them"
            if changed
            else f"none of {self.checked} past answers changed materially"
        )
        if self.skipped:
            why = ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())
            line += f" (not editable: {why})"
        return line


def _not_editable(logged: LoggedAnswer) -> str | None:
    if logged.message_ts is not None and logged.channel_id is not None:
        return None
    if logged.surface == "command":
        return "private /rumor ask answers"
    return "answers never posted"


def plan_recheck(
    engine: AnswerEngine, store: CorpusStore, records: AnswerRecords, version: int, days: int
) -> RecheckPlan:
    """Ask the questions of the last `days` days again on the served corpus and compare (no
    Slack calls)."""
    plan = RecheckPlan(version)
    present = {p.id for p in engine.snapshot.passages}
    added: dict[int, set[str]] = {}
    since = utcnow() - timedelta(days=days)
    for logged in records.answers_since(since, before_version=version):
        plan.checked += 1
        reason = _not_editable(logged)
        if reason is not None:
            plan.skipped[reason] += 1
            continue
        old = logged.answer
        searched = old.get("searched") or logged.question
        new = engine.ask(searched).to_json()
        # Shown as it was asked: the follow-up's own words with the context it took, the
        # checked message.
        new["context"] = old.get("context")
        new["checked"] = old.get("checked")
        new["checked_sentence"] = old.get("checked_sentence")
        new |= {"question": old.get("question") or logged.question, "searched": searched}
        answered_in = logged.corpus_version or 0
        if answered_in not in added:
            added[answered_in] = store.added_since(answered_in)
        revision = revise(logged.id, old, new, added[answered_in], present)
        if revision is not None:
            plan.corrections.append(Correction(logged, revision))
    log.info(
        "recheck corpus_version=%s checked=%d changed=%d skipped=%d",
        version,
        plan.checked,
        len(plan.corrections),
        sum(plan.skipped.values()),
    )
    return plan


def correct(
    records: AnswerRecords,
    notifications: Notifications,
    client: WebClient,
    correction: Correction,
    version: int,
) -> bool:
    """Edit one answer in place and tell its asker; True once Slack took the edit."""
    logged, revision = correction.logged, correction.revision
    target = str(logged.id)
    if not notifications.claim(KIND, version, target):
        return False
    today = utcnow().date()
    answer = revision.answer | {"receipt": receipt(revision, today)}
    assert logged.channel_id is not None and logged.message_ts is not None
    try:
        client.chat_update(
            channel=logged.channel_id,
            ts=logged.message_ts,
            text=answer_fallback(answer),
            blocks=answer_blocks(answer, logged.id),
        )
    except Exception as exc:
        outcome = notifications.slack_failed(KIND, version, target, exc)
        log.warning("correction of answer_id=%s for version %s: %s", logged.id, version, outcome)
        return False
    records.revise(logged.id, answer, revision.record(version, today))
    notifications.sent(KIND, version, target, logged.message_ts)
    log.info("answer corrected answer_id=%s corpus_version=%s", logged.id, version)
    if logged.user_id:
        # Told once: the claim above is already settled, so a failure here is not retried.
        try:
            client.chat_postMessage(
                channel=logged.channel_id,
                thread_ts=logged.thread_ts or logged.message_ts,
                text=correction_reply(logged.user_id, logged.question, revision),
            )
        except Exception as exc:
            log.warning(
                "could not tell the asker of answer_id=%s (%s)",
                logged.id,
                slack_error(exc) or type(exc).__name__,
            )
    return True


class Corrections(BackgroundThread):
    """The one thread per process that plans and sends corrections."""

    name = "corrections"

    def __init__(
        self,
        engine: AnswerEngine,
        store: CorpusStore,
        records: AnswerRecords,
        notifications: Notifications,
        enabled: bool = True,
        days: int = 30,
        pace: float = PACE_SECONDS,
    ):
        super().__init__()
        self.engine = engine
        self.store = store
        self.records = records
        self.notifications = notifications
        self.enabled = enabled  # off: a workspace that wants no edits (RUMORBOT_RECHECK)
        self.days = days  # how far back answers are re-checked
        self.pace = pace
        self._plans: dict[int, RecheckPlan] = {}
        self._plan_lock = threading.Lock()
        self._client: WebClient | None = None

    def due(self) -> int | None:
        """The corpus version whose corrections are due: the served one, if it changed the
        corpus recently and its corrections are not all done."""
        current = self.store.current_version()
        if not self.enabled or current is None or current.id != self.engine.snapshot.version:
            return None
        if (KIND, current.id) in self.notifications.settled:
            return None
        if current.id not in self.store.changes_since(utcnow() - RECHECK_WINDOW):
            return None
        return current.id

    def plan(self, version: int) -> RecheckPlan:
        """Planned once per version and process (re-asking is the expensive part)."""
        with self._plan_lock:
            if version not in self._plans:
                self._plans = {
                    version: plan_recheck(self.engine, self.store, self.records, version, self.days)
                }
            return self._plans[version]

    def deliver(self, client: WebClient) -> list[Correction]:
        """Send what is due and not yet claimed; returns the corrections this process made."""
        version = self.due()
        if version is None:
            return []
        plan = self.plan(version)
        made = []
        for correction in plan.corrections:
            if self.stopping.is_set():
                break
            if self.correct(client, correction, version):
                made.append(correction)
                self.stopping.wait(self.pace)
        targets = [str(c.logged.id) for c in plan.corrections]
        self.notifications.done(KIND, version, targets)
        return made

    def correct(self, client: WebClient, correction: Correction, version: int) -> bool:
        return correct(self.records, self.notifications, client, correction, version)

    def request(self, client: WebClient | None = None) -> None:
        """Deliver in the background (after a reload; and on every recovery sweep, for
        retries and for changes another replica made)."""
        if self.enabled:
            self._client = client or self._client
            super().request()

    def work(self) -> bool:
        try:
            assert self._client is not None
            self.deliver(self._client)
        except Exception:
            log.warning("corrections failed this round; the next sweep retries", exc_info=True)
        return True
