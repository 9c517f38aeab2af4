"""spaced_submit: the random gap staggers bursts of starts and never paces replacements."""

from __future__ import annotations

import itertools
import threading
import time

from geminiteacher.engine.pool import make_executor, spaced_submit


class Log:
    """Start and finish times of every task, by item."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.starts: dict[int, float] = {}
        self.ends: dict[int, float] = {}

    def task(self, work):
        def run(item: int) -> int:
            with self.lock:
                self.starts[item] = time.monotonic()
            work(item)
            with self.lock:
                self.ends[item] = time.monotonic()
            return item
        return run


def _submit(log: Log, work, items: int, workers: int, delays: tuple[float, float]) -> None:
    executor, _ = make_executor("thread", workers)
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
    starts = sorted(log.starts.values())
    for earlier, later in itertools.pairwise(starts):
        if later - earlier < 0.055:
            assert any(earlier <= end <= later for end in log.ends.values())


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
