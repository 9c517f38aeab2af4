"""The shared limiter: request windows, pauses after a 429, and adaptive concurrency."""

from __future__ import annotations

import threading
import time

import pytest

from geminiteacher.errors import CancelledError
from geminiteacher.ratelimit import Limiter, LimiterRegistry


def _hammer(limiter: Limiter, workers: int, calls: int) -> list[float]:
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(calls):
            with limiter.slot():
                with lock:
                    starts.append(time.monotonic())
                time.sleep(0.01)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(starts)


def test_request_cap_holds_in_every_window_across_eight_workers():
    limiter = Limiter(max_concurrency=8, requests_per_window=5, window=0.5)
    starts = _hammer(limiter, workers=8, calls=2)
    assert len(starts) == 16
    for i, t in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < t + 0.5 - 0.01) <= 5


def test_concurrency_never_exceeds_the_limit():
    limiter = Limiter(max_concurrency=3)
    _hammer(limiter, workers=8, calls=3)
    assert limiter.peak_in_flight == 3


def test_a_429_pauses_everyone_for_the_servers_delay():
    limiter = Limiter(max_concurrency=4)
    limiter.on_rate_limited(0.3)
    begun = time.monotonic()
    with limiter.slot():
        pass
    assert time.monotonic() - begun >= 0.28


def test_a_429_halves_concurrency_and_successes_win_it_back_slowly():
    limiter = Limiter(max_concurrency=8)
    limiter.on_rate_limited(0.0)
    assert limiter.limit == 4
    for _ in range(4):
        limiter.on_success()
    assert 4 < limiter.limit < 6
    for _ in range(200):
        limiter.on_success()
    assert limiter.limit == 8


def test_a_token_cap_delays_requests_beyond_it():
    limiter = Limiter(max_concurrency=4, tokens_per_window=1000, window=0.3)
    begun = time.monotonic()
    for _ in range(3):
        with limiter.slot(tokens=600):
            pass
    assert time.monotonic() - begun >= 0.55


def test_waiting_for_a_slot_ends_on_cancel():
    limiter = Limiter(max_concurrency=1)
    limiter.on_rate_limited(30)
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    with pytest.raises(CancelledError), limiter.slot(cancel=cancel):
        pass


def test_the_registry_shares_one_limiter_per_key_and_model():
    registry = LimiterRegistry()
    a = registry.get("gemini:abc:flash", 2)
    assert registry.get("gemini:abc:flash", 6) is a
    assert a.ceiling == 6
    assert registry.get("gemini:abc:pro", 2) is not a
