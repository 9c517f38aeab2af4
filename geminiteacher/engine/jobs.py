"""Courses written in background threads, for front ends that must not block (the page).

A `Job` runs `run_course` in its own daemon thread and can be cancelled; its progress is
read back through `snapshot()`, which combines the job's own state with the course's
manifest on disk. A `JobRegistry` hands out jobs under unguessable ids and caps how many
run at once (other work that calls the model, such as planning an outline, takes a `slot`
under the same cap); the rest wait in a first-in, first-out queue, and each owner may have
only so many unfinished jobs. The registry is the one process-wide object the page keeps
(see `geminiteacher/ui/common.py`).

The API key given to `submit` lives only inside the closure that calls `run_course`: it
is not an attribute of the job, not in `params`, and not in any repr. A finished job lets
go of that closure and of its source text; the course folder keeps what a follow-up needs.
"""

from __future__ import annotations

import enum
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from geminiteacher.course.store import CourseStore, course_dir, settle_chapters
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import (
    CancelledError,
    GeminiTeacherError,
    QueueFullError,
    SettingsError,
    StoreError,
    describe,
)
from geminiteacher.models import Event

logger = logging.getLogger(__name__)

MAX_JOBS_ENV = "GEMINITEACHER_MAX_JOBS"
SESSION_JOBS_ENV = "GEMINITEACHER_SESSION_JOBS"
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


def _gone(*args: object) -> str:
    """What a finished job holds instead of its course call and key redactor."""
    return ""


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
            manifest=MappingProxyType(self._manifest()),
        )

    def _manifest(self) -> dict[str, Any]:
        """The course's manifest; once the job failed or was cancelled, no chapter in it is
        shown running, even when the run could not write that last change (disk full)."""
        manifest = read_manifest(self.path)
        if self._state in (JobState.FAILED, JobState.CANCELLED):
            settle_chapters(manifest, self._state.value, self._error)
        return manifest

    def _record(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def _finish(self, state: JobState, error: str = "") -> None:
        self._error = error
        self._state = state
        self.ended = time.time()
        self._call = self._redact = _gone  # the key and the source text leave memory
        self.params = MappingProxyType({k: v for k, v in self.params.items() if k != "source"})
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


def count_from_env(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment variable `name`, else `default`."""
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return value


def max_jobs_from_env() -> int:
    """`GEMINITEACHER_MAX_JOBS`: how many courses may be written at once (default 2)."""
    return count_from_env(MAX_JOBS_ENV, 2)


class JobRegistry:
    """Every job of this process, by id; at most `max_running` run at once, the rest queue.

    One owner may have at most `per_owner` jobs queued or running (`GEMINITEACHER_SESSION_JOBS`,
    default 3).
    """

    def __init__(self, max_running: int | None = None, per_owner: int | None = None) -> None:
        self.max_running = max_running if max_running is not None else max_jobs_from_env()
        self.per_owner = per_owner if per_owner is not None else count_from_env(
            SESSION_JOBS_ENV, 3)
        if self.max_running < 1 or self.per_owner < 1:
            raise SettingsError("max_running and per_owner must be at least 1")
        self._lock = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._running: set[Job] = set()
        self._slots: dict[str, int] = {}  # running slots held by `slot()`, per owner

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

        Raises StoreError when another job is still writing the same course folder, and
        QueueFullError when the owner already has `per_owner` unfinished jobs.
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
                    f"'{title}' is already being written in {path.name}; "
                    "wait for it, cancel it, or choose another title"
                )
            self._check_owner_room(owner)
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

    def runs_of(self, path: Path) -> list[Job]:
        """Every job this process ran or queued on the course folder `path`, oldest first."""
        with self._lock:
            return [j for j in self._jobs.values() if j.path == path]

    @contextmanager
    def slot(self, owner: str) -> Iterator[None]:
        """Hold one running slot for work outside a job (planning an outline), waiting for one.

        It counts against the owner's unfinished jobs too, so one visitor cannot go around
        either cap. Queued jobs keep their turn: a slot is only taken while none is waiting.
        """
        with self._lock:
            self._check_owner_room(owner)
            while self._queue or not self._room():
                self._lock.wait()
            self._slots[owner] = self._slots.get(owner, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._slots[owner] -= 1
                self._start_waiting()
                self._lock.notify_all()

    def _check_owner_room(self, owner: str) -> None:
        """Raise QueueFullError when `owner` has no room for more work. Call with the lock held."""
        busy = sum(j.owner == owner and not j.state.finished for j in self._jobs.values())
        if busy + self._slots.get(owner, 0) >= self.per_owner:
            raise QueueFullError(
                f"you already have {self.per_owner} course(s) queued or being written; wait for "
                f"one to finish or cancel one ({SESSION_JOBS_ENV} sets this limit)")

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

    def _room(self) -> bool:
        """Whether one more job or slot may run now. Call with the lock held."""
        return len(self._running) + sum(self._slots.values()) < self.max_running

    def _start_waiting(self) -> None:
        """Start queued jobs while there is room. Call with the lock held."""
        while self._queue and self._room():
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
                self._lock.notify_all()

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond KEEP_FINISHED. Call with the lock held."""
        finished = [j for j in self._jobs.values() if j.state.finished]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]
