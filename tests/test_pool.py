"""spaced_submit: the random gap staggers bursts of starts and never paces replacements."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from geminiteacher.engine.pool import make_executor, spaced_submit


class Log:
    """When the pool submitted each item, how many earlier tasks were done by then, and when
    each task finished. Submissions are timed on the pool's side (a wrapped executor), so a
    worker thread that starts late on a busy machine does not move them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.starts: dict[int, float] = {}
        self.done_before: dict[int, int] = {}
        self.ends: dict[int, float] = {}

    def task(self, work):
        def run(item: int) -> int:
            work(item)
            with self.lock:
                self.ends[item] = time.monotonic()
            return item
        return run

    def executor(self, workers: int) -> ThreadPoolExecutor:
        log, submitted = self, []

        class Recording(ThreadPoolExecutor):
            def submit(self, fn, item, /, *args, **kwargs):
                with log.lock:
                    log.starts[item] = time.monotonic()
                    log.done_before[item] = sum(f.done() for f in submitted)
                future = super().submit(fn, item, *args, **kwargs)
                submitted.append(future)
                return future

        return Recording(max_workers=workers)


def _submit(log: Log, work, items: int, workers: int, delays: tuple[float, float]) -> None:
    executor = log.executor(workers)
    futures = spaced_submit(executor, log.task(work), list(range(items)), workers, delays,
                            threading.Event())
    executor.shutdown(wait=True)
    assert all(f is not None and f.result() == i for i, f in enumerate(futures))


def test_the_first_wave_is_staggered_by_at_least_the_minimum_gap():
    log = Log()
    _submit(log, lambda item: time.sleep(0.5), 4, 4, (0.08, 0.1))
    starts = [log.starts[i] for i in range(4)]
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.075


def test_a_start_after_a_finish_goes_at_once_whatever_the_gap():
    log = Log()
    _submit(log, lambda item: time.sleep(0.02), 12, 2, (1.0, 1.0))
    # items 0 and 1 are the first wave (one gap apart); every later start replaces a task
    # that finished, so it follows that finish at once instead of a second later
    for item in range(2, 12):
        latest_finish = max(t for t in log.ends.values() if t <= log.starts[item])
        assert log.starts[item] - latest_finish < 0.5


def test_two_starts_closer_than_the_minimum_gap_have_a_finish_between_them():
    log = Log()
    _submit(log, lambda item: time.sleep(0.01 + 0.03 * (item % 5)), 30, 4, (0.06, 0.1))
    order = sorted(log.starts, key=log.starts.get)
    for earlier, later in itertools.pairwise(order):
        if log.starts[later] - log.starts[earlier] < 0.06:
            assert log.done_before[later] > log.done_before[earlier]


def test_the_number_in_flight_grows_by_at_most_one_per_gap():
    log = Log()
    _submit(log, lambda item: time.sleep(0.3), 8, 8, (0.05, 0.05))
    starts = sorted(log.starts.values())
    assert starts[-1] - starts[0] >= 7 * 0.05 - 0.005


def test_no_task_starts_once_stop_is_set():
    stop = threading.Event()
    executor, _ = make_executor("thread", 2)
    started: list[int] = []

    def work(item: int) -> None:
        started.append(item)
        stop.set()

    futures = spaced_submit(executor, work, list(range(10)), 2, (0.05, 0.05), stop)
    executor.shutdown(wait=True)
    assert started == [0]
    assert futures[1:] == [None] * 9
