"""Ordered parallel execution with spaced starts.

What the random gap guarantees (`delay_range` = (low, high)):
- A start that follows a finish (some task finished since the previous start) goes at once:
  it replaces a request, so the number in flight does not grow. Once the first wave is out,
  the gap costs nothing, whatever the latency and the worker count.
- Every other start adds to the number in flight. It waits until a fresh random gap from
  `delay_range` has passed since the previous such start, and at least `low` since the
  previous start of any kind. So the first wave, and several slots freed at the same moment,
  go out staggered: the number in flight grows by at most one per gap, and no two starts are
  closer than `low` unless a task finished between them.
- The gap is not a rate limit: the request and token caps (`engine.ratelimit`) bound the
  request rate. Its whole cost is the first wave's stagger, (workers - 1) gaps.
At most `workers` tasks are submitted at a time, so submitting is starting.

`parallel_map_with_delay` keeps upstream's documented rule instead (`every_start=True`): a
random gap between any two submissions, waived only for a submission that had to wait for a
free worker (that one is already paced by the task that ended).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from typing import Any, TypeVar

from geminiteacher.errors import SettingsError

T = TypeVar("T")
_POLL = 0.05  # how often a wait looks at `stop`
ExecutorChoice = str | Executor | None


def default_workers(kind: str = "thread") -> int:
    """The standard library's defaults: CPUs for processes, CPUs + 4 (max 32) for threads."""
    cpus = os.cpu_count() or 1
    return cpus if kind == "process" else min(32, cpus + 4)


def make_executor(choice: ExecutorChoice, workers: int) -> tuple[Executor, bool]:
    """The executor to use and whether we own it (and so must shut it down)."""
    if choice is None or choice == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geminiteacher"), True
    if choice == "process":
        return ProcessPoolExecutor(max_workers=workers), True
    if isinstance(choice, Executor):
        return choice, False
    raise SettingsError(
        f"executor must be 'thread', 'process' or a concurrent.futures.Executor, not {choice!r}"
    )


def spaced_submit(
    executor: Executor,
    call: Callable[[Any], T],
    items: Sequence[Any],
    workers: int,
    delay_range: tuple[float, float],
    stop: threading.Event,
    *,
    every_start: bool = False,
) -> list[Future[T] | None]:
    """Submit `call(item)` for each item, spaced as the module says and at most `workers` at
    a time; stop submitting once `stop` is set.

    Returns the futures in input order (None for items never submitted). A task that
    raises sets `stop`, so one failure does not start the rest.
    """
    low, high = delay_range
    futures: list[Future[T] | None] = [None] * len(items)
    running: set[Future[T]] = set()
    seen = 0  # tasks finished at the previous start
    next_growth = 0.0  # earliest start that adds to the number in flight
    not_before = 0.0  # earliest such start after a start of any kind (`low` later)

    def watch(future: Future[T]) -> None:
        if not future.cancelled() and future.exception() is not None:
            stop.set()

    for position, item in enumerate(items):  # `position` tasks were submitted before
        waited = False
        while not stop.is_set():
            running = {f for f in running if not f.done()}
            finished = position - len(running)
            left = None
            if len(running) < workers:
                if waited if every_start else finished > seen:
                    break  # a replacement: at once
                left = max(next_growth, not_before) - time.monotonic()
                if left <= 0:
                    break
            else:
                waited = True
            nap = _POLL if left is None else min(left, _POLL)
            if running:
                wait(running, timeout=nap, return_when=FIRST_COMPLETED)
            else:
                stop.wait(nap)
        if stop.is_set():
            break
        replaces = waited if every_start else position - len(running) > seen
        future = executor.submit(call, item)
        future.add_done_callback(watch)
        futures[position] = future
        running.add(future)
        seen = position + 1 - len(running)
        now = time.monotonic()
        if every_start or not replaces:
            next_growth = now + (random.uniform(low, high) if high > 0 else 0.0)
        not_before = now + (low if not every_start else 0.0)
    return futures
