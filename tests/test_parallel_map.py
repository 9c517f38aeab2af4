"""parallel_map_with_delay: order, spacing, kwargs, errors and executors."""

from __future__ import annotations

import itertools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from geminiteacher.errors import SettingsError
from geminiteacher.parallel import parallel_map_with_delay


def _sleep_then_echo(item: int, seed: int = 0) -> int:
    time.sleep(random.Random(seed * 1000 + item).uniform(0, 0.05))
    return item


def _times_factor(item: int, factor: int = 1) -> int:
    return item * factor


def test_results_come_in_input_order_whatever_finishes_first():
    items = list(range(30))
    assert parallel_map_with_delay(_sleep_then_echo, items, max_workers=8,
                                   delay_range=(0, 0), seed=3) == items


def test_keyword_arguments_reach_every_call():
    assert parallel_map_with_delay(_times_factor, [1, 2, 3], factor=10) == [10, 20, 30]


def test_an_items_exception_propagates_and_later_items_are_not_started():
    started: list[int] = []

    def work(item: int) -> int:
        started.append(item)
        if item == 2:
            raise ValueError("item 2 is bad")
        time.sleep(0.05)
        return item

    with pytest.raises(ValueError, match="item 2 is bad"):
        parallel_map_with_delay(work, list(range(20)), max_workers=2, delay_range=(0, 0))
    assert len(started) < 20


def test_starts_are_spaced_by_at_least_the_minimum_delay():
    starts: list[float] = []
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            starts.append(time.monotonic())
        return item

    parallel_map_with_delay(work, list(range(6)), max_workers=6, delay_range=(0.05, 0.06))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.045


def test_the_delay_does_not_serialize_slow_tasks():
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def work(item: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.3)
        with lock:
            in_flight -= 1
        return item

    parallel_map_with_delay(work, list(range(8)), max_workers=4, delay_range=(0.01, 0.02))
    assert peak == 4


def test_process_executor_runs_picklable_functions():
    assert parallel_map_with_delay(_times_factor, [1, 2, 3], max_workers=2,
                                   delay_range=(0, 0), executor="process", factor=3) == [3, 6, 9]


def test_any_executor_instance_can_be_plugged_in_and_is_left_running():
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert parallel_map_with_delay(_times_factor, [4, 5], executor=pool,
                                       delay_range=(0, 0)) == [4, 5]
        assert pool.submit(_times_factor, 2, 2).result() == 4


def test_an_unknown_executor_name_is_a_settings_error():
    with pytest.raises(SettingsError, match="executor"):
        parallel_map_with_delay(_times_factor, [1], executor="gpu")


def test_the_documented_example_runs_as_written():
    # From the reference page of the parallel module, unchanged.
    def process_item(item, prefix="Item"):
        time.sleep(0.5)
        return f"{prefix}: {item}"

    items = ["apple", "banana", "cherry", "date", "elderberry"]
    results = parallel_map_with_delay(
        func=process_item,
        items=items,
        max_workers=3,
        delay_range=(0.1, 0.5),
        prefix="Processed",
    )
    assert results == [f"Processed: {item}" for item in items]


def test_the_docstring_example_doubles_each_item():
    def process_item(item, factor=1):
        return item * factor

    assert parallel_map_with_delay(process_item, [1, 2, 3, 4, 5], factor=2) == [2, 4, 6, 8, 10]
