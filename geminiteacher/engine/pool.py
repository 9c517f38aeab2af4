"""Ordered parallel execution with spaced starts.

The random delay spaces the *starts* of tasks that would otherwise start together: while
slots are free (the first wave, or several slots freed at once), each submission waits
until a random gap drawn from `delay_range` has passed since the previous one. A start
that had to wait for a running task to finish is already paced by that task, so it goes
at once. At most `workers` tasks are submitted at a time, so submitting is starting, and
the delay never serializes the run: it cannot cap throughput below what the workers do.
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
) -> list[Future[T] | None]:
    """Submit `call(item)` for each item, spaced and bounded; stop submitting once `stop` is set.

    Returns the futures in input order (None for items never submitted). A task that
    raises sets `stop`, so one failure does not start the rest.
    """
    low, high = delay_range
    futures: list[Future[T] | None] = [None] * len(items)
    running: set[Future[T]] = set()
    next_start = 0.0

    def watch(future: Future[T]) -> None:
        if not future.cancelled() and future.exception() is not None:
            stop.set()

    for position, item in enumerate(items):
        paced = False
        while len(running) >= workers and not stop.is_set():
            paced = True
            _, running = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
        gap = 0.0 if paced else next_start - time.monotonic()
        if stop.is_set() or (gap > 0 and stop.wait(gap)):
            break
        future = executor.submit(call, item)
        future.add_done_callback(watch)
        futures[position] = future
        running.add(future)
        next_start = time.monotonic() + (random.uniform(low, high) if high > 0 else 0.0)
        running = {f for f in running if not f.done()}
    return futures
