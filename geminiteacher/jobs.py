"""Courses written in background threads, for front ends that must not block (the page).

A `Job` runs `run_course` in its own daemon thread and can be cancelled; its progress is
read back through `snapshot()`, which combines the job's own state with the course's
manifest on disk. A `JobRegistry` hands out jobs under unguessable ids and caps how many
run at once; the rest wait in a first-in, first-out queue. The registry is the one
process-wide object the page keeps (see `geminiteacher/ui/common.py`).

The API key given to `submit` lives only inside the closure that calls `run_course`: it
is not an attribute of the job, not in `params`, and not in any repr.
"""

from __future__ import annotations

import enum
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geminiteacher.coursemaker import run_course
from geminiteacher.errors import (
    CancelledError,
    GeminiTeacherError,
    SettingsError,
    StoreError,
    describe,
)
from geminiteacher.models import Event
from geminiteacher.store import CourseStore, course_dir

logger = logging.getLogger(__name__)

MAX_JOBS_ENV = "GEMINITEACHER_MAX_JOBS"
KEEP_FINISHED = 200  # finished jobs remembered for `?job=` links before the oldest go


class JobState(str, enum.Enum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class JobSnapshot:
    """What a job looks like at one moment; safe to read from any thread."""

    id: str
    title: str
    path: Path
    state: JobState
    error: str
    events: int
    last_event: Event | None
    queue_position: int | None
    cancel_requested: bool
    created: float
    started: float | None
    ended: float | None
    manifest: Mapping[str, Any]

    @property
    def finished(self) -> bool:
        return self.state.finished


def read_manifest(path: Path) -> dict[str, Any]:
    """The course's `course.json`, or {} while there is none yet."""
    return CourseStore(path).manifest()


CourseCall = Callable[[Callable[[Event], None], threading.Event], object]


class Job:
    """One course being written in a background thread."""

    def __init__(
        self,
        owner: str,
        title: str,
        path: Path,
        params: Mapping[str, Any],
        call: CourseCall,
        redact: Callable[[str], str],
    ) -> None:
        self.id = secrets.token_urlsafe(16)
        self.owner = owner
        self.title = title
        self.path = path
        self.params = MappingProxyType(dict(params))  # run_course arguments, never the key
        self.created = time.time()
        self.started: float | None = None
        self.ended: float | None = None
        self._call = call
        self._redact = redact
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._state = JobState.QUEUED
        self._error = ""
        self._position: Callable[[], int | None] = lambda: None

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, title={self.title!r}, state={self.state.value!r})"

    @property
    def state(self) -> JobState:
        return self._state

    @property
    def error(self) -> str:
        return self._error

    def events(self) -> list[Event]:
        """A copy of the progress events received so far, oldest first."""
        with self._lock:
            return list(self._events)

    def cancel(self) -> None:
        """Ask the course to stop; chapters being written finish or are abandoned."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished; False if `timeout` passed first."""
        return self._finished.wait(timeout)

    def snapshot(self) -> JobSnapshot:
        """The job's state, error, progress events and manifest as they are now."""
        with self._lock:
            count = len(self._events)
            last = self._events[-1] if self._events else None
        return JobSnapshot(
            id=self.id,
            title=self.title,
            path=self.path,
            state=self._state,
            error=self._error,
            events=count,
            last_event=last,
            queue_position=self._position(),
            cancel_requested=self._cancel.is_set(),
            created=self.created,
            started=self.started,
            ended=self.ended,
            manifest=MappingProxyType(read_manifest(self.path)),
        )

    def _record(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def _finish(self, state: JobState, error: str = "") -> None:
        self._error = error
        self._state = state
        self.ended = time.time()
        self._finished.set()

    def _run(self) -> None:
        """The thread body: run the course and turn its outcome into a state and a message."""
        self.started = time.time()
        self._state = JobState.RUNNING
        try:
            self._call(self._record, self._cancel)
        except CancelledError:
            self._finish(JobState.CANCELLED)
        except GeminiTeacherError as exc:
            self._finish(JobState.FAILED, self._redact(describe(exc)))
        except Exception as exc:
            logger.exception("course job %s (%s) stopped unexpectedly", self.id, self.title)
            self._finish(JobState.FAILED, f"Unexpected {type(exc).__name__} while writing the "
                                          "course; the server log has details.")
        else:
            self._finish(*self._outcome())

    def _outcome(self) -> tuple[JobState, str]:
        if self._cancel.is_set():
            return JobState.CANCELLED, ""
        manifest = read_manifest(self.path)
        if manifest.get("state") == "failed":
            failed = [c for c in manifest.get("chapters", []) if c.get("status") == "failed"]
            reason = manifest.get("error") or f"{len(failed)} chapter(s) failed; retry them."
            return JobState.FAILED, self._redact(str(reason))
        return JobState.DONE, ""


def max_jobs_from_env() -> int:
    """`GEMINITEACHER_MAX_JOBS`: how many courses may be written at once (default 2)."""
    raw = os.environ.get(MAX_JOBS_ENV, "").strip() or "2"
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(f"{MAX_JOBS_ENV} must be a whole number of at least 1, not {raw!r}")
    return value


class JobRegistry:
    """Every job of this process, by id; at most `max_running` run at once, the rest queue."""

    def __init__(self, max_running: int | None = None) -> None:
        self.max_running = max_running if max_running is not None else max_jobs_from_env()
        if self.max_running < 1:
            raise SettingsError("max_running must be at least 1")
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._running: set[Job] = set()

    def submit(
        self,
        owner: str,
        *,
        title: str,
        output_dir: str | Path = "output",
        api_key: str | None = None,
        **params: Any,
    ) -> Job:
        """Queue `run_course(title=..., output_dir=..., api_key=..., **params)` for `owner`.

        Raises StoreError when another job is still writing the same course folder.
        """
        path = course_dir(output_dir, title)
        params = {**params, "title": title, "output_dir": output_dir}

        def call(on_event: Callable[[Event], None], cancel: threading.Event) -> object:
            return run_course(api_key=api_key, on_event=on_event, cancel=cancel, **params)

        def redact(text: str) -> str:
            return text.replace(api_key, "[API key]") if api_key else text

        with self._lock:
            busy = [j for j in self._jobs.values() if j.path == path and not j.state.finished]
            if busy:
                raise StoreError(
                    f"'{title}' is already being written in {path}; "
                    "wait for it, cancel it, or choose another title"
                )
            job = Job(owner, title, path, params, call, redact)
            job._position = lambda: self._queue_position(job)
            self._jobs[job.id] = job
            self._queue.append(job)
            self._prune()
            self._start_waiting()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None (unknown, or forgotten after a restart)."""
        with self._lock:
            return self._jobs.get(job_id)

    def jobs_for(self, owner: str) -> list[Job]:
        """The owner's jobs, oldest first."""
        with self._lock:
            return [j for j in self._jobs.values() if j.owner == owner]

    def cancel(self, job_id: str) -> None:
        """Cancel a job: a queued one never starts, a running one is asked to stop."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            if job in self._queue:
                self._queue.remove(job)
                job._finish(JobState.CANCELLED)
                return
        job.cancel()

    def _queue_position(self, job: Job) -> int | None:
        with self._lock:
            return self._queue.index(job) + 1 if job in self._queue else None

    def _start_waiting(self) -> None:
        """Start queued jobs while there is room. Call with the lock held."""
        while self._queue and len(self._running) < self.max_running:
            job = self._queue.pop(0)
            self._running.add(job)
            job._state = JobState.RUNNING
            thread = threading.Thread(
                target=self._run, args=(job,), name=f"course-{job.title[:20]}", daemon=True
            )
            thread.start()

    def _run(self, job: Job) -> None:
        try:
            job._run()
        finally:
            with self._lock:
                self._running.discard(job)
                self._start_waiting()

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond KEEP_FINISHED. Call with the lock held."""
        finished = [j for j in self._jobs.values() if j.state.finished]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]
