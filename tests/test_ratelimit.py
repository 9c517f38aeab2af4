"""The shared limiter: request windows, pauses after a 429, and adaptive concurrency."""

from __future__ import annotations

import threading
import time

import pytest

from geminiteacher.engine.ratelimit import Caps, Limiter, LimiterRegistry
from geminiteacher.errors import CancelledError


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
    a = registry.join("gemini:abc:flash", Caps(2))
    assert registry.join("gemini:abc:flash", Caps(6)).limiter is a.limiter
    assert registry.join("gemini:abc:pro", Caps(2)).limiter is not a.limiter


def test_while_two_jobs_share_a_limiter_the_stricter_caps_apply():
    limiter = Limiter()
    capped = limiter.join(Caps(2, requests=10, tokens=5000, window=60))
    loose = limiter.join(Caps(8))
    assert limiter.caps == Caps(2, 10, 5000, 60)
    capped.close()
    assert limiter.caps == Caps(8) and limiter.ceiling == 8
    loose.close()


def test_a_course_never_runs_more_than_its_workers_after_a_larger_one():
    limiter = Limiter()
    limiter.join(Caps(8)).close()
    small = limiter.join(Caps(2))
    peak = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal peak
        with small.slot():
            with lock:
                peak = max(peak, limiter.in_flight)
            time.sleep(0.05)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak == small.caps.concurrency


def test_a_fractional_request_cap_spaces_requests_by_its_rate():
    limiter = Limiter(requests_per_window=0.5, window=0.2)
    begun = time.monotonic()
    for _ in range(2):
        with limiter.slot():
            pass
    assert time.monotonic() - begun >= 0.4  # 0.5 per 0.2 s: one request per 0.4 s


def test_a_pause_ends_when_the_job_that_caused_it_leaves():
    limiter = Limiter()
    cancelled = limiter.join(Caps(4))
    other = limiter.join(Caps(4))
    cancelled.on_rate_limited(30)
    threading.Timer(0.2, cancelled.close).start()
    begun = time.monotonic()
    with other.slot():
        pass
    assert time.monotonic() - begun < 5  # not the 30 s the cancelled job was told
