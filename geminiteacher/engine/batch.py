"""Batch mode: a course's chapters as one batch job (Gemini's Batch API: half price, results
within hours), called by `run_course` after the outline instead of the online chapter calls.

1. Submit: every missing chapter's prompt (the same request as online, naming the course's
   explicit cache when one is live) goes into one job, and its name goes into course.json
   at once: creating a job is not idempotent, so a run that dies while waiting resumes
   polling the same job on the next run and never submits a second one.
2. Wait: poll with backoff (`FIRST_POLL` seconds, growing by `POLL_GROWTH`, at most
   `MAX_POLL`), reporting the state as BATCH events; polling keeps the explicit cache alive.
3. Read: each result becomes a chapter the moment it is read, with the same DONE events as
   online (marked `batch`, which the cost applies the batch discount to).
4. Failed requests: written again online through the runner's normal path
   (`batch_retry="online"`, the default), or in one follow-up job (`"batch"`).
A job that ends FAILED or EXPIRED fails its chapters and the course with one line; one
cancelled elsewhere cancels the course. Cancel and Ctrl-C cancel the job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from geminiteacher.backends.base import Engine
from geminiteacher.backends.prompted import PromptedEngine
from geminiteacher.backends.prompts import chapter_prompt
from geminiteacher.backends.transport import Answer, BatchJobs, BatchStatus
from geminiteacher.course.store import CourseStore
from geminiteacher.errors import (
    BatchJobError,
    BatchJobGoneError,
    CancelledError,
    EngineError,
    ModelAccessError,
    QuotaExhaustedError,
    describe,
)
from geminiteacher.ingest.sources import attribute
from geminiteacher.models import ChapterContent, CourseSettings, Event, EventKind, Source

FIRST_POLL = 2.0  # seconds before the first poll
POLL_GROWTH = 1.5  # each wait is this much longer than the one before
MAX_POLL = 60.0  # the longest wait between polls (well inside the cache's extension margin)
POLL_ERRORS = 10  # polls in a row that may fail (network, 5xx) before the course stops


class BatchRun(Protocol):
    """What Batch mode needs of a run (`geminiteacher.engine.runner.CourseRun` is one)."""

    engine: Engine
    settings: CourseSettings
    content: str
    store: CourseStore | None
    source: Source | None
    cancel: threading.Event

    def emit(self, event: Event) -> None: ...

    def warn(self, notes: Iterable[str]) -> None: ...

    def write_chapters(self, titles: list[str], indices: Iterable[int],
                       done: dict[int, ChapterContent] | None = None,
                       ) -> dict[int, ChapterContent]: ...
_ENDINGS = {
    "failed": "failed",
    "expired": "expired before Gemini ran it (a job that has not finished after 48 hours "
               "expires)",
}


def _key(index: int) -> str:
    return f"chapter-{index:03d}"


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes \
        else f"{secs}s"


def poll_intervals() -> Iterator[float]:
    """Seconds between two polls: `FIRST_POLL`, each `POLL_GROWTH` times the one before, at
    most `MAX_POLL`."""
    interval = FIRST_POLL
    while True:
        yield min(interval, MAX_POLL)
        interval = min(MAX_POLL, interval * POLL_GROWTH)


def batch_service(run: BatchRun) -> BatchJobs | None:
    """The engine's batch service for this course; None when it has none (with a note for a
    model that could have had one; a local engine just writes the chapters)."""
    engine = run.engine
    jobs = engine.batch_jobs(run.content, run.settings) \
        if isinstance(engine, PromptedEngine) else None
    if jobs is None and engine.remote:
        run.warn([f"model {engine.model} cannot run batch jobs; the chapters are written "
                  "online at the normal price"])
    return jobs


def write_chapters_in_batch(run: BatchRun, titles: list[str], todo: list[int],
                            done: dict[int, ChapterContent]) -> dict[int, ChapterContent]:
    """Write the chapters `todo` of `titles` through a batch job; returns index -> chapter,
    like `CourseRun.write_chapters` (which it falls back to when there is no batch service,
    and which writes the failed requests again when `batch_retry` is "online")."""
    jobs = batch_service(run)
    if jobs is None:
        return run.write_chapters(titles, todo, done)
    results = dict(done)
    saved = run.store.batch if run.store is not None else None
    retry_in_batch = run.settings.batch_retry == "batch"
    failed = _one_job(run, jobs, titles, todo, results, saved, final=not retry_in_batch)
    if failed and retry_in_batch:
        failed = _one_job(run, jobs, titles, failed, results, None, final=True)
    if failed and not retry_in_batch:
        return run.write_chapters(titles, failed, results)
    return results


class _Job:
    """One submitted job as course.json remembers it: name, chapters (index -> title), time."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.name = str(record["name"])
        self.chapters = {int(i): t for i, t in (record.get("chapters") or {}).items()}
        self.submitted = float(record.get("submitted") or time.time())

    def covers(self, todo: Iterable[int], titles: list[str]) -> list[int]:
        """The chapters of `todo` this job holds under their current titles."""
        return [i for i in todo if self.chapters.get(i) == titles[i - 1]]


def _one_job(run: BatchRun, jobs: BatchJobs, titles: list[str], todo: list[int],
             results: dict[int, ChapterContent], saved: dict[str, Any] | None,
             *, final: bool) -> list[int]:
    """Submit (or resume) one job for `todo`, wait for it, write what it returns; returns the
    chapters that still need writing (failed requests, chapters the job did not hold)."""
    job = _resumed(run, jobs, titles, todo, saved) or _submit(run, jobs, titles, todo)
    covered = job.covers(todo, titles)
    try:
        status = _wait(run, jobs, job)
    except (CancelledError, KeyboardInterrupt):
        _cancel(run, jobs, job, covered, titles)
        raise
    if status.state != "succeeded":
        _end(run, job, covered, titles, status)
    missing = _read(run, jobs, status, job, titles, covered, results, final=final)
    _forget(run, jobs, job)
    return sorted(set(missing) | (set(todo) - set(covered)))


def _resumed(run: BatchRun, jobs: BatchJobs, titles: list[str], todo: list[int],
             saved: dict[str, Any] | None) -> _Job | None:
    """The job a previous run of this course submitted and did not finish reading (one that
    holds none of the chapters still to write is forgotten)."""
    if not saved or not saved.get("name"):
        return None
    job = _Job(saved)
    if not job.covers(todo, titles):
        _forget(run, jobs, job)
        return None
    try:
        jobs.status(job.name)
    except BatchJobGoneError as exc:
        run.warn([f"{describe(exc)}; submitting a new one"])
        _forget(run, jobs, job)
        return None
    except EngineError:
        pass  # the wait polls again
    run.emit(Event(EventKind.BATCH, None, reason=f"resuming batch job {job.name}"))
    for index in job.covers(todo, titles):
        run.emit(Event(EventKind.STARTED, index, titles[index - 1]))
    return job


def _submit(run: BatchRun, jobs: BatchJobs, titles: list[str], todo: list[int]) -> _Job:
    """One job for the chapters `todo`, remembered in course.json as soon as it exists."""
    for index in todo:
        run.emit(Event(EventKind.QUEUED, index, titles[index - 1]))
    media = run.engine.media_of(run.content) if isinstance(run.engine, PromptedEngine) else ()
    prompts = {_key(i): chapter_prompt(run.content, titles[i - 1], run.settings, index=i,
                                       outline=titles, media=media) for i in todo}
    name = jobs.submit(prompts, run.settings)
    record = {"name": name, "chapters": {str(i): titles[i - 1] for i in todo},
              "submitted": time.time(), "requests": len(todo), "status": "submitted"}
    if run.store is not None:
        run.store.set_batch(record)  # before anything else can fail: never submit it twice
    run.emit(Event(EventKind.BATCH, None,
                   reason=f"submitted batch job {name}: {len(todo)} requests"))
    for index in todo:
        run.emit(Event(EventKind.STARTED, index, titles[index - 1]))
        run.emit(Event(EventKind.ATTEMPT, index, titles[index - 1], attempt=1))
    return _Job(record)


def _wait(run: BatchRun, jobs: BatchJobs, job: _Job) -> BatchStatus:
    """Poll until the job is done, reporting its state when it changes (and every poll
    with verbose readers); a cancel stops the wait at once."""
    intervals, errors = poll_intervals(), 0
    while True:
        try:
            status = jobs.status(job.name)
            errors = 0
        except (ModelAccessError, QuotaExhaustedError):
            raise
        except EngineError as exc:  # one failed poll is not a failed job
            errors += 1
            if errors >= POLL_ERRORS:
                raise
            status = None
            run.emit(Event(EventKind.BATCH, None,
                           reason=f"batch job {job.name}: could not poll ({describe(exc)})"))
        if status is not None:
            run.emit(Event(EventKind.BATCH, None, reason=(
                f"batch job {job.name}: {status.state}, {len(job.chapters)} requests, "
                f"{_elapsed(time.time() - job.submitted)}")))
            if status.done:
                return status
        if run.cancel.wait(next(intervals)):
            raise CancelledError("the course was cancelled; its batch job is cancelled and "
                                 "finished chapters are kept")


def _read(run: BatchRun, jobs: BatchJobs, status: BatchStatus, job: _Job, titles: list[str],
          covered: list[int], results: dict[int, ChapterContent], *, final: bool) -> list[int]:
    """Write every result of a finished job as it is read; returns the chapters that failed."""
    engine = run.engine
    assert isinstance(engine, PromptedEngine)
    seconds = time.time() - job.submitted
    pending = set(covered)
    failed: list[int] = []
    for key, result in jobs.results(status, [_key(i) for i in job.chapters]):
        index = next((i for i in pending if _key(i) == key), None)
        if index is None:
            continue
        pending.discard(index)
        title = titles[index - 1]
        if isinstance(result, Answer):
            reply = engine.read_chapter(result, title, run.content)
            chapter = reply.value
            chapter.title = title
            if run.source is not None:
                chapter.sources = attribute(chapter.sources, run.source)
            results[index] = chapter
            run.warn(reply.notes)
            run.emit(Event(EventKind.DONE, index, title, usage=reply.usage, chapter=chapter,
                           seconds=seconds, model=reply.model_version, batch=True))
            continue
        failed.append(index)
        _failed(run, index, title, f"batch request failed: {describe(result)}", seconds,
                final=final)
    for index in sorted(pending):
        failed.append(index)
        _failed(run, index, titles[index - 1], "the batch job returned no result for it",
                seconds, final=final)
    ok = len(covered) - len(failed)
    run.emit(Event(EventKind.BATCH, None, reason=(
        f"batch job {job.name}: succeeded, {ok} of {len(covered)} requests written, "
        f"{len(failed)} failed, {_elapsed(seconds)}")))
    return failed


def _failed(run: BatchRun, index: int, title: str, reason: str, seconds: float, *,
            final: bool) -> None:
    """A request the job could not answer: failed for good, or waiting for its retry."""
    if final:
        run.emit(Event(EventKind.FAILED, index, title, reason=reason, seconds=seconds))
    else:
        retry = "online" if run.settings.batch_retry == "online" else "in a follow-up batch"
        run.emit(Event(EventKind.WAITING, index, title, attempt=1,
                       reason=f"{reason}; retrying {retry}"))


def _end(run: BatchRun, job: _Job, covered: Iterable[int], titles: list[str],
         status: BatchStatus) -> None:
    """A job that ended without results: its chapters fail (or are cancelled), and so does
    the course, with one line; the record is cleared so the next run submits a new job."""
    if run.store is not None:
        run.store.set_batch(None)
    if status.state == "cancelled":
        for index in covered:
            run.emit(Event(EventKind.CANCELLED, index, titles[index - 1]))
        raise CancelledError(f"batch job {job.name} was cancelled outside this run; finished "
                             "chapters are kept - run again to submit a new batch")
    how = _ENDINGS.get(status.state, status.state)
    reason = f"batch job {job.name} {how}"
    for index in covered:
        run.emit(Event(EventKind.FAILED, index, titles[index - 1], reason=reason,
                       seconds=time.time() - job.submitted))
    raise BatchJobError(f"{reason}; run again to submit a new batch, or without --batch to "
                        "write the chapters online")


def _cancel(run: BatchRun, jobs: BatchJobs, job: _Job, covered: Iterable[int],
            titles: list[str]) -> None:
    """Cancel and Ctrl-C: the job is cancelled at Gemini and forgotten; its chapters too."""
    run.cancel.set()
    try:
        jobs.cancel(job.name)
    except EngineError as exc:
        run.warn([f"could not cancel batch job {job.name} ({describe(exc)}); it may still "
                  "run and be billed"])
    if run.store is not None:
        run.store.set_batch(None)
    for index in covered:
        run.emit(Event(EventKind.CANCELLED, index, titles[index - 1]))
    run.emit(Event(EventKind.BATCH, None, reason=f"batch job {job.name}: cancelled"))


def _forget(run: BatchRun, jobs: BatchJobs, job: _Job) -> None:
    """Every result is written: the job leaves course.json, then Gemini."""
    if run.store is not None:
        run.store.set_batch(None)
    jobs.delete(job.name)
