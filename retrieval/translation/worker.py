"""Translating what has no rendering yet: in the foreground (`rumorbot translate`) or in the
background of `rumorbot serve`, passages the latest answers quoted first. Each text is
committed as soon as it is rendered, so a killed run loses at most the one in progress."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from retrieval.corpus.store import PassageRow, SourceInfo
from retrieval.translation.guard import Aligner
from retrieval.translation.render import render
from retrieval.translation.store import TranslationStore, text_hash, worker_name
from retrieval.translation.translator import Interrupted, Remembering, Translator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    content_hash: str
    text: str
    what: str  # for progress lines: "passage 003…#4" or "title of 003…"


@dataclass
class Summary:
    total: int = 0
    already: int = 0
    translated: int = 0
    unchecked: int = 0
    failed: int = 0
    by_others: int = 0  # still without a rendering: held by another process or replica
    seconds: float = 0.0  # spent rendering, summed over workers
    tokens: int = 0
    wall_seconds: float = 0.0

    @property
    def seconds_per_text(self) -> float:
        return self.seconds / self.translated if self.translated else 0.0

    def line(self) -> str:
        return (
            f"{self.translated} translated ({self.unchecked} unchecked), {self.failed} failed,"
            f" {self.already} already done, {self.by_others} left to other workers;"
            f" {self.seconds_per_text:.1f} s per text per worker,"
            f" {self.tokens / self.seconds if self.seconds else 0:.1f} tokens/s per worker,"
            f" {self.wall_seconds:.0f} s in all"
        )


def passage_job(passage: PassageRow) -> Job:
    return Job(
        passage.content_hash, passage.text, f"passage {passage.source_id}#{passage.position}"
    )


def jobs_for(
    passages: Iterable[PassageRow], sources: Iterable[SourceInfo], first: Iterable[str] = ()
) -> list[Job]:
    """Every passage and source title, the passages in `first` (ids, e.g. those the latest
    answers quoted) at the front, then titles (short, and shown by /rumor sources)."""
    passages = list(passages)
    rank = {pid: i for i, pid in enumerate(dict.fromkeys(first))}
    quoted = sorted((p for p in passages if p.id in rank), key=lambda p: rank[p.id])
    rest = [p for p in passages if p.id not in rank]
    jobs = [passage_job(p) for p in quoted]
    jobs += [Job(text_hash(s.title), s.title, f"title of {s.id}") for s in sources]
    jobs += [passage_job(p) for p in rest]
    unique: dict[str, Job] = {}
    for job in jobs:
        unique.setdefault(job.content_hash, job)
    return list(unique.values())


def translate_in_parallel(
    store: TranslationStore,
    make_translator: Callable[[], Translator],
    jobs: list[Job],
    workers: int = 1,
    **options,
) -> Summary:
    """`translate_jobs` in `workers` threads, each with a translator of its own (llama.cpp
    releases the GIL; the model file is memory-mapped, so its weights are shared). Claims in
    the database split the work, as between processes."""
    started = time.perf_counter()
    summaries: list[Summary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            translator = make_translator()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
            return
        try:
            summaries.append(translate_jobs(store, translator, jobs, **options))
        except BaseException as exc:
            errors.append(exc)
        finally:
            translator.close()

    threads = [threading.Thread(target=run, name=f"translate-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    merged = Summary(total=len(jobs), already=min((s.already for s in summaries), default=0))
    for s in summaries:
        merged.translated += s.translated
        merged.unchecked += s.unchecked
        merged.failed += s.failed
        merged.seconds += s.seconds
        merged.tokens += s.tokens
    missing = len(jobs) - len(store.done([j.content_hash for j in jobs]))
    merged.by_others = max(0, missing - merged.failed)
    merged.wall_seconds = time.perf_counter() - started
    return merged


def translate_jobs(
    store: TranslationStore,
    translator: Translator,
    jobs: list[Job],
    *,
    progress: Callable[[int, int, Job], None] | None = None,
    stop: threading.Event | None = None,
    wait_for_others: bool = False,
    poll_seconds: float = 5.0,
    aligner: Aligner | None = None,
) -> Summary:
    """Render every job without a rendering. With `wait_for_others`, also wait for texts other
    workers hold, and take them over if those workers die. `aligner`: the guard's reading of
    meaning (see `render`)."""
    started = time.perf_counter()
    me = worker_name()
    summary = Summary(total=len(jobs))
    done = set(store.done([j.content_hash for j in jobs]))
    todo = [j for j in jobs if j.content_hash not in done]
    summary.already = len(jobs) - len(todo)
    number = summary.already
    stop = stop or threading.Event()
    interrupted = False
    while todo and not stop.is_set():
        left: list[Job] = []
        for job in todo:
            if stop.is_set():
                break
            if not store.claim(job.content_hash, me):
                left.append(job)
                continue
            number += 1
            if progress:
                progress(number, len(jobs), job)
            try:
                rendering = render(
                    translator, job.text, partial(store.heartbeat, job.content_hash, me), aligner
                )
            except Interrupted:  # stopped mid-text: given back, for the next run or replica
                store.release(job.content_hash, me)
                interrupted = True
                break
            except Exception:
                log.exception("could not translate %s; it is left for a later run", job.what)
                store.release(job.content_hash, me)
                summary.failed += 1
                continue
            store.save(job.content_hash, me, rendering)
            summary.translated += 1
            summary.unchecked += not rendering.checked
            summary.seconds += rendering.seconds
            summary.tokens += rendering.tokens
        finished = set(store.done([j.content_hash for j in left]))
        todo = [j for j in left if j.content_hash not in finished]
        if interrupted or not wait_for_others or not todo:
            break
        stop.wait(poll_seconds)
    summary.by_others = len(todo)
    summary.wall_seconds = time.perf_counter() - started
    return summary


def translate_shown(
    store: TranslationStore,
    translator: Translator,
    jobs: list[Job],
    keys: Mapping[str, Sequence[str]],
    landed: Callable[[], None] | None = None,
    aligner: Aligner | None = None,
    stop: threading.Event | None = None,
) -> Summary:
    """The passages an answer shows (best quote first), in two passes: the units of each one's
    key sentences (`keys`, by content hash), stored as a partial rendering, `landed` called
    after each (the answer can show them: the first quote's English comes first); then every
    passage whole, the units already done taken from memory. A passage another worker holds
    is waited for."""
    me = worker_name()
    remembering = Remembering(translator)
    done = set(store.done([j.content_hash for j in jobs]))
    for job in jobs:
        if stop and stop.is_set():
            break
        if job.content_hash in done or not store.claim(job.content_hash, me):
            continue
        try:
            partial = render(
                remembering, job.text, aligner=aligner, only=keys.get(job.content_hash, ())
            )
        except Interrupted:
            store.release(job.content_hash, me)
            break
        except Exception:
            log.exception("could not translate the key sentences of %s", job.what)
            continue
        store.keep_partial(job.content_hash, me, partial)
        if landed is not None:
            landed()
    return translate_jobs(
        store, remembering, jobs, wait_for_others=True, aligner=aligner, stop=stop
    )
